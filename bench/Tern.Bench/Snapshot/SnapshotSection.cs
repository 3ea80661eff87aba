using System.Globalization;
using Tern.Bench.Migration;

namespace Tern.Bench.Snapshot;

/// <summary>
/// `bench/run.sh --snapshot`: save to a file and restore, Tern against QEMU q35, every guest size
/// in every round with the VMM order rotated, 5 quiet seconds before each save and each restore.
/// The last round also restores once more per VMM and size from an emptied page cache (as root).
/// </summary>
public static class SnapshotSection
{
    public const string Heading = "## Snapshots: save and restore";

    public static string Run(BenchOptions o, MachineFacts facts)
    {
        var started = DateTime.UtcNow;
        string loadAtStart = SectionText.LoadAverage();
        var vmms = SnapshotVmm.Both(o);
        var guests = SnapshotGuests.Select(o.SnapshotSizes);
        bool cold = o.SnapshotCold && PageCache.CanDrop;
        if (o.SnapshotCold && !cold) Console.WriteLine("not root: no cold restores (dropping the page cache needs root)");
        var runner = new SnapshotRunner(o.Timeout, TimeSpan.FromSeconds(o.MigrationTimeoutS));
        var samples = new List<SnapshotSample>();
        for (int round = 1 - o.WarmupRounds; round <= o.Rounds; round++)
        foreach (var guest in guests)
        for (int i = 0; i < vmms.Count; i++)
        {
            var sample = runner.Run(vmms[(i + Math.Max(round, 0)) % vmms.Count], guest, round, cold && round == o.Rounds);
            Console.WriteLine(Describe(sample));
            if (round >= 1) samples.Add(sample);
        }
        return SnapshotText.Render(o, facts, started, (loadAtStart, SectionText.LoadAverage()), vmms, guests, samples);
    }

    private static string Describe(SnapshotSample s)
    {
        string head = $"{(s.Round < 1 ? "warm-up " : $"round {s.Round,-2}")} {s.Guest,4} MiB {s.Vmm,-5}";
        var parts = new List<string>();
        if (s.Save is { } v)
            parts.Add(string.Create(CultureInfo.InvariantCulture,
                $"save {v.SaveMs,5:F0} ms (reported {v.ReportedMs:F0})  file {Mib(v.File.ApparentBytes):F1} MiB, allocated {Mib(v.File.AllocatedBytes):F1} MiB  " +
                $"resident guest RAM {Mib(v.GuestRamResidentBytes):F1} MiB{(v.GuestPagesInUseBytes is { } used ? $", pages in use {Mib(used):F1} MiB" : "")}  check before {v.CheckBeforeMs:F0} ms"));
        if (s.Warm is { } w) parts.Add(Restore("warm", w));
        if (s.Cold is { } c) parts.Add(Restore("cold", c));
        if (s.Failure is not null) parts.Add($"FAILED: {s.Failure}");
        return $"{head} {string.Join("  |  ", parts)}";
    }

    private static string Restore(string label, RestoreFigures r) => string.Create(CultureInfo.InvariantCulture,
        $"{label} restore {r.FirstTickMs,5:F0} ms to TICK, first check {r.FirstCheckMs:F0} ms{(r.BeganInsideCheck ? " (resumed inside a check)" : "")}" +
        $"{(r.FirstLateMs is { } late ? $", first tick late {late:F0} ms" : "")}");

    public static double Mib(long bytes) => bytes / 1048576.0;
}

using System.Globalization;

namespace Tern.Bench.Migration;

/// <summary>
/// `bench/run.sh --migration`: live migration, Tern against QEMU q35, every scenario over TCP and
/// UNIX, rounds interleaved with the VMM order rotated; each round also measures the loopback limit
/// and the rate at which the machine backs fresh memory.
/// </summary>
public static class MigrationSection
{
    public const string Heading = "## Live migration";

    /// <summary>The section a run writes: guest RAM on hugetlbfs (--mem-path) has its own.</summary>
    public static string HeadingFor(BenchOptions o) => o.MigrationMemPath is null ? Heading : $"{Heading}, guest RAM on hugetlbfs";

    /// <summary>
    /// Quiet time before each migration and each fresh-memory probe. This host hands memory freed by
    /// the previous VMs back to its own host about 2 s after they exit (free page reporting); without
    /// the wait, whichever VMM ran right after another one got still-backed memory and ran up to 4x
    /// faster, so the figures depended on the order.
    /// </summary>
    public static readonly TimeSpan MemorySettle = TimeSpan.FromSeconds(5);

    private const long FreshMemoryBytes = 1L << 30;

    /// <summary>Runs every round and returns the section text.</summary>
    public static string Run(BenchOptions o, MachineFacts facts)
    {
        var started = DateTime.UtcNow;
        string loadAtStart = SectionText.LoadAverage();
        var vmms = MigrationVmm.Both(o);
        var scenarios = MigrationScenario.Select(o.MigrationScenarios, o.TickMs);
        var transports = Transports.Parse(o.MigrationTransports);
        var runner = new MigrationRunner(o.Timeout, TimeSpan.FromSeconds(o.MigrationTimeoutS));
        var samples = new List<MigrationSample>();
        var loopback = new List<(Transport Transport, double MiBPerSecond)>();
        var freshMemory = new List<double>();
        long loopbackBytes = (long)o.LoopbackMiB << 20;
        if (o.MigrationMemPath is not null) Console.WriteLine($"hugetlbfs pool warmed: {FreshMemoryProbe.WarmPool(o.MigrationMemPath) >> 20} MiB touched once");

        for (int round = 1 - o.WarmupRounds; round <= o.Rounds; round++)
        {
            bool warmup = round < 1;
            foreach (var t in transports)
            {
                double rate = LoopbackProbe.MeasureMiBPerSecond(t, loopbackBytes);
                Console.WriteLine(string.Create(CultureInfo.InvariantCulture, $"{Label(round)} loopback {t.Label(),-4} {rate,8:F0} MiB/s"));
                if (!warmup) loopback.Add((t, rate));
            }
            Thread.Sleep(MemorySettle);
            double fresh = FreshMemoryProbe.MeasureMiBPerSecond(FreshMemoryBytes, o.MigrationMemPath);
            Console.WriteLine(string.Create(CultureInfo.InvariantCulture, $"{Label(round)} fresh memory {fresh,8:F0} MiB/s"));
            if (!warmup) freshMemory.Add(fresh);
            foreach (var scenario in scenarios)
            foreach (var transport in transports)
            for (int i = 0; i < vmms.Count; i++)
            {
                Thread.Sleep(MemorySettle);
                var sample = runner.Run(vmms[(i + Math.Max(round, 0)) % vmms.Count], scenario, transport, round);
                Console.WriteLine(Describe(sample, round));
                if (!warmup) samples.Add(sample);
            }
        }
        var report = new MigrationReport(vmms, scenarios, transports, samples, loopback, freshMemory);
        return MigrationText.Render(o, facts, started, (loadAtStart, SectionText.LoadAverage()), report);
    }

    private static string Label(int round) => round < 1 ? "warm-up " : $"round {round,-2}";

    private static string Describe(MigrationSample s, int round)
    {
        string head = $"{Label(round)} {s.Scenario,-10} {s.Transport.Label(),-4} {s.Vmm,-5}";
        if (!s.Succeeded) return $"{head} FAILED: {s.Failure}";
        var m = s.Stats!;
        var g = s.Gaps!;
        string throttle = m.ThrottlePercent > 0 ? $"  throttle {m.ThrottlePercent} %" : "";
        string check = g.CheckInSwitchOver ? "  (check in switch-over)" : "";
        return string.Create(CultureInfo.InvariantCulture,
            $"{head} total {m.TotalMs,6:F0} ms  pause {g.PauseMs,5:F0} ms (switch-over {g.SwitchOverMs:F0}, during {g.DuringMs:F0} at +{g.DuringAtMs:F0}, before {g.BaselineMs:F0})  " +
            $"downtime {m.DowntimeMs,4:F0} ms  sent {m.TransferredBytes / (1 << 20),6:F0} MiB  {m.MiBPerSecond,6:F0} MiB/s  setup {m.SetupMs:F0} ms  syncs {m.DirtySyncs:F0}{throttle}{check}");
    }
}

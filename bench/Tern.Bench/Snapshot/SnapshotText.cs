using System.Globalization;
using System.Text;
using Tern.Bench.Migration;
using Tern.TestSupport.Results;

namespace Tern.Bench.Snapshot;

/// <summary>The "## Snapshots: save and restore" section of RESULTS.md: how it was run, the tables, the targets, the method.</summary>
public static class SnapshotText
{
    private const double FileSlackMiB = 1, RestoreTargetMs = 100;
    private const ulong RestoreTargetGuestMiB = 2048;

    public static string Render(BenchOptions o, MachineFacts facts, DateTime started, (string Start, string End) load,
        IReadOnlyList<SnapshotVmm> vmms, IReadOnlyList<MigrationScenario> guests, IReadOnlyList<SnapshotSample> samples)
    {
        var sb = new StringBuilder();
        sb.AppendLine(SectionText.Provenance(o, started, Command(o), load, "guest size")).AppendLine();
        sb.AppendLine(SectionText.Host(facts) + " Guest: tests/guest/build/testkernel.elf (PVH entry), 2 vCPUs, half of RAM random data (below), the same for both VMMs. " +
                      "Snapshot files in a new directory under /tmp (ext4, the same disk for both), removed after each round.").AppendLine();
        sb.Append(Commands(vmms, guests)).AppendLine();

        sb.AppendLine("### Save, file size and restore (page cache warm)").AppendLine();
        sb.Append(MainTable(vmms, guests, samples)).AppendLine();
        if (samples.Any(s => s.Cold is not null))
        {
            sb.AppendLine("### Cold restore (page cache dropped first; one per VMM and size, in the last round)").AppendLine();
            sb.Append(ColdTable(vmms, guests, samples)).AppendLine();
        }
        sb.AppendLine("### Targets").AppendLine();
        sb.Append(Targets(vmms, guests, samples)).AppendLine();
        var failures = samples.Where(s => !s.Succeeded).ToList();
        if (failures.Count > 0)
        {
            sb.AppendLine("Failures (the figures measured before the failure are kept):").AppendLine();
            foreach (var f in failures) sb.AppendLine($"- round {f.Round}, {f.Guest} MiB, {f.Vmm}: {OneLine(f.Failure!)}");
            sb.AppendLine();
        }
        sb.AppendLine("### Method and notes").AppendLine();
        sb.Append(Method(vmms, samples));
        return sb.ToString();
    }

    private static string Command(BenchOptions o)
    {
        string command = "bench/run.sh --snapshot";
        if (o.Rounds != 3) command += $" --rounds {o.Rounds}";
        if (!o.SnapshotSizes.SequenceEqual([512, 2048])) command += $" --snapshot-sizes {string.Join(',', o.SnapshotSizes)}";
        if (!o.SnapshotCold) command += " --snapshot-cold 0";
        return command;
    }

    private static string Commands(IReadOnlyList<SnapshotVmm> vmms, IReadOnlyList<MigrationScenario> guests)
    {
        var example = guests[0];
        var sb = new StringBuilder($"Command lines of the restoring process for \"{example.Name}\"; the saving one is the same without `-incoming`, and saves on " +
                                   "QMP (after QEMU's `migrate-set-parameters`, below) with ");
        sb.AppendLine(string.Join(", ", vmms.Select(v => $"{v.Name} `{{\"execute\":\"migrate\",\"arguments\":{{\"uri\":\"{v.SaveUri("DIR/vm.snap")}\"}}}}`")) + ":").AppendLine();
        sb.AppendLine("```");
        foreach (var v in vmms)
        {
            string incoming = v.RestoreUri("DIR/vm.snap");
            sb.AppendLine($"# {v.Name}\n{v.Vmm.CommandLine(example, incoming.Contains(' ') ? $"\"{incoming}\"" : incoming)}");
        }
        sb.AppendLine("```").AppendLine();
        sb.AppendLine("| Guest | -m | -append |").AppendLine("| --- | ---: | --- |");
        foreach (var g in guests) sb.AppendLine($"| {g.Name} | {g.MemoryMiB}M | `{g.Append}` |");
        return sb.ToString();
    }

    private static readonly (string Header, Func<SnapshotSample, double?> Value, string Format)[] MainColumns =
    [
        ("save ms", s => s.Save?.SaveMs, "F0"),
        ("file MiB (apparent)", s => Mib(s.Save?.File.ApparentBytes), "F1"),
        ("file MiB (allocated)", s => Mib(s.Save?.File.AllocatedBytes), "F1"),
        ("restore: exec to first TICK, ms", s => s.Warm?.FirstTickMs, "F0"),
        ("first memory check after restore, ms", s => s.Warm?.FirstCheckMs, "F0"),
        ("memory check before save, ms", s => s.Save?.CheckBeforeMs, "F0"),
    ];

    private static string MainTable(IReadOnlyList<SnapshotVmm> vmms, IReadOnlyList<MigrationScenario> guests, IReadOnlyList<SnapshotSample> samples)
    {
        var sb = new StringBuilder();
        sb.AppendLine($"| Guest | VMM | {string.Join(" | ", MainColumns.Select(c => c.Header))} | n |");
        sb.AppendLine($"| --- | --- |{string.Concat(MainColumns.Select(_ => " ---: |"))} ---: |");
        foreach (var g in guests)
        {
            foreach (var v in vmms)
                sb.AppendLine($"| {g.Name} | {v.Name} | {string.Join(" | ", MainColumns.Select(c => Cell(Of(samples, v, g, c.Value), c.Format)))} | " +
                              $"{Mine(samples, v, g).Count(s => s.Warm is not null)} |");
            var tern = vmms.First(v => v.IsTern);
            var qemu = vmms.First(v => !v.IsTern);
            sb.AppendLine($"| {g.Name} | Tern ÷ QEMU | {string.Join(" | ", MainColumns.Select(c => MigrationReport.Ratio(Of(samples, tern, g, c.Value).Median, Of(samples, qemu, g, c.Value).Median)))} | |");
        }
        return sb.ToString();
    }

    private static string ColdTable(IReadOnlyList<SnapshotVmm> vmms, IReadOnlyList<MigrationScenario> guests, IReadOnlyList<SnapshotSample> samples)
    {
        var sb = new StringBuilder("| Guest | VMM | restore: exec to first TICK, ms | first memory check after restore, ms |\n| --- | --- | ---: | ---: |\n");
        foreach (var g in guests)
        foreach (var v in vmms)
        {
            var cold = Mine(samples, v, g).Select(s => s.Cold).OfType<RestoreFigures>().ToList();
            string Cells(Func<RestoreFigures, double> value) => cold.Count == 0 ? "n/a" : string.Join(", ", cold.Select(c => MigrationReport.Format(value(c), "F0")));
            sb.AppendLine($"| {g.Name} | {v.Name} | {Cells(c => c.FirstTickMs)} | {Cells(c => c.FirstCheckMs)} |");
        }
        return sb.ToString();
    }

    private static string Targets(IReadOnlyList<SnapshotVmm> vmms, IReadOnlyList<MigrationScenario> guests, IReadOnlyList<SnapshotSample> samples)
    {
        var ci = CultureInfo.InvariantCulture;
        var tern = vmms.First(v => v.IsTern);
        var sb = new StringBuilder();
        foreach (var g in guests)
        {
            var saves = Mine(samples, tern, g).Select(s => s.Save).OfType<SaveFigures>().ToList();
            if (saves.Count == 0)
            {
                sb.AppendLine($"- Tern's file allocates at most the RAM the guest used + {FileSlackMiB:F0} MiB ({g.Name}): **not measured** (no save succeeded).");
                continue;
            }
            // Judged on every round: the worst file against the fewest pages in use.
            double allocated = saves.Max(s => Mib(s.File.AllocatedBytes)!.Value);
            double used = saves.Min(s => Mib(s.GuestPagesInUseBytes)!.Value);
            double resident = Spread.Of(saves.Select(s => Mib(s.GuestRamResidentBytes)!.Value)).Median;
            sb.AppendLine(string.Create(ci,
                $"- Tern's file allocates at most the RAM the guest used + {FileSlackMiB:F0} MiB ({g.Name}): largest file {allocated:F1} MiB allocated " +
                $"against {used:F1} MiB of guest pages in use (the {SnapshotGuests.RegionMiB(g)} MiB region and the kernel's own; the source's resident guest RAM " +
                $"was {resident:F1} MiB): **{(allocated <= used + FileSlackMiB ? "met" : "not met")}** ({(allocated - used) * 1024:+0;-0} KiB over the pages in use)."));
        }
        var big = guests.FirstOrDefault(g => g.MemoryMiB == RestoreTargetGuestMiB);
        var restore = big is null ? null : Of(samples, tern, big, s => s.Warm?.FirstTickMs);
        sb.AppendLine(restore is null || restore.Count == 0
            ? $"- Tern's restore of the 2 GiB guest, exec to first TICK, under {RestoreTargetMs:F0} ms: **not measured** (no 2 GiB restore {(big is null ? "in this run" : "succeeded")})."
            : string.Create(ci, $"- Tern's restore of the 2 GiB guest, exec to first TICK, under {RestoreTargetMs:F0} ms (page cache warm): median {restore.Median:F0} ms " +
                                $"(worst {restore.Max:F0}): **{(restore.Median < RestoreTargetMs ? "met" : "not met")}**."));
        return sb.ToString();
    }

    private static string Method(IReadOnlyList<SnapshotVmm> vmms, IReadOnlyList<SnapshotSample> samples)
    {
        var sb = new StringBuilder();
        void Item(string text) => sb.AppendLine("- " + text);
        double quiet = MigrationSection.MemorySettle.TotalSeconds;
        Item("Each round, per VMM and guest: start the saving VMM with a QMP socket; wait for the guest's `SOAK timing` line (its region is written), " +
             $"then {quiet:F0} quiet seconds in which it ticks and checks; read its resident guest RAM from /proc/PID/smaps; `migrate` to the file and poll " +
             "query-migrate every 20 ms until `completed`; for QEMU, wait until no process holds the file open (cat may still be copying the pipe's " +
             $"last bytes); stat the file; kill the saving VMM. After {quiet:F0} quiet seconds start the restoring VMM (same command line plus " +
             "`-incoming`), wait for its first TICK and its first whole memory check, check that no line says BAD or EXC, kill it.");
        Item($"Quiet seconds: this machine is itself a VM whose host takes back memory its kernel frees about 2 s after the free (free page reporting), and " +
             "memory touched afresh is then backed at about 0.5 GB/s (the migration benchmark's fresh-memory probe). The wait before each save and each " +
             "restore lets the memory the previous VMM freed go back first, so each VMM meets memory in the same state whatever ran before it. Every " +
             "restore that backs guest RAM with fresh anonymous memory (QEMU's loading the stream, and both VMMs' guests writing) pays that rate.");
        Item("Save time: from `migrate` sent to the first query-migrate that says `completed` (so up to 20 ms late); the VMM's own `total-time` is in the " +
             "console log. Both saves are live (passes over dirty pages, then a pause for the last ones and the device state). Tern's ends after it has " +
             "synced the file and renamed it into place; QEMU's ends when it has written the stream into the pipe, and cat's data may still be only " +
             "in the page cache (nothing syncs it).");
        Item("File size: stat's apparent size (%s) and allocated bytes (%b × %B). Tern's file holds guest RAM at fixed places with zero pages left as " +
             "holes, so it is apparent-size RAM + 2 MiB + the state but allocated only for pages in use; QEMU's stream holds every non-zero page with a " +
             "header and every zero page as a header alone, so it is dense. Guest pages in use: the 4 KiB pages of guest RAM that are not all zero, counted " +
             "in Tern's file (its RAM image is guest RAM byte for byte); the source's resident guest RAM is the host's view of the same, rounded up by huge pages.");
        Item("Restore time: from just before the restoring process's exec to the arrival of the guest's first TICK line on its stdout (both VMMs " +
             "`-serial stdio`). Both include the VMM's own start; QEMU's also loading the whole stream from cat before the guest runs; Tern's " +
             "reading the state and mapping RAM copy-on-write from the file. When the guest's clock went on over the time the VM was off, its first " +
             "tick is overdue and printed as soon as it runs, and the guest says so (`SOAK late tick=N ms=M`, M about the time since the save); " +
             $"otherwise the first TICK would also wait up to one tick ({SnapshotGuests.TickMs} ms) for its deadline. First ticks reported late: {LateCount(vmms, samples)}.");
        Item($"First memory check after restore: the guest checksums its whole region after every {SnapshotGuests.CheckEvery}th tick, at once after printing " +
             "that TICK line, so the time from that TICK line's arrival to its `SOAK check tick=N ok` line is the check itself (a pass reading every page " +
             "of the region) plus the output. The first whole check after a restore is the guest's first touch of every page of its data since the restore, so it " +
             "shows what faulting the region in costs the guest, against a check before the save (median of the saving VM's checks). Under both VMMs " +
             "KVM builds its mapping of each page at that first touch (on kvm_pvm, a shadow page fault); under Tern each page besides comes in then, " +
             "by a host fault that maps it from the page cache (from disk when cold), while QEMU had copied all of it into its own memory before the " +
             "guest ran. So Tern's excess over QEMU is the price of the lazy restore, paid by the guest in its first second instead of before it runs. " +
             $"A restore whose guest resumed inside a check (so that check's rest was touched first) still counts: {InsideCount(vmms, samples)}.");
        Item("Page cache: every restore in the main table reads a file that was just written, so its pages are in the page cache (warm); nothing is " +
             "dropped before them. The cold restores follow `sync; echo 3 > /proc/sys/vm/drop_caches`, which also drops the VMMs' executables and " +
             "libraries, so they include loading those from disk as well.");
        Item($"QEMU runs with `-cpu {MigrationVmm.QemuCpu}` (its `+invtsc` refuses migration) and max-bandwidth {MigrationVmm.QemuMaxBandwidth} B/s " +
             "(its default caps a migration at 128 MiB/s); Tern gets no parameters. QEMU 7.2 has no `file:` URI; `exec:` runs the command with /bin/sh.");
        Item("Ratios are Tern's median over QEMU's: below 1.00 Tern is faster (or its file smaller). A failed round keeps the figures measured before " +
             "the failure and is listed above.");
        return sb.ToString();
    }

    private static string LateCount(IReadOnlyList<SnapshotVmm> vmms, IReadOnlyList<SnapshotSample> samples) =>
        string.Join(", ", vmms.Select(v =>
        {
            var restores = Restores(samples, v).ToList();
            return $"{v.Name} {restores.Count(r => r.FirstLateMs is not null)} of {restores.Count}";
        }));

    private static string InsideCount(IReadOnlyList<SnapshotVmm> vmms, IReadOnlyList<SnapshotSample> samples) =>
        string.Join(", ", vmms.Select(v =>
        {
            var restores = Restores(samples, v).ToList();
            return $"{v.Name} {restores.Count(r => r.BeganInsideCheck)} of {restores.Count} restores";
        }));

    private static IEnumerable<RestoreFigures> Restores(IReadOnlyList<SnapshotSample> samples, SnapshotVmm v) =>
        samples.Where(s => s.Vmm == v.Name).SelectMany(s => new[] { s.Warm, s.Cold }).OfType<RestoreFigures>();

    private static IEnumerable<SnapshotSample> Mine(IReadOnlyList<SnapshotSample> samples, SnapshotVmm v, MigrationScenario g) =>
        samples.Where(s => s.Vmm == v.Name && s.Guest == g.Key);

    private static Spread Of(IReadOnlyList<SnapshotSample> samples, SnapshotVmm v, MigrationScenario g, Func<SnapshotSample, double?> value) =>
        Spread.Of(Mine(samples, v, g).Select(value).OfType<double>());

    private static string Cell(Spread x, string format) =>
        x.Count == 0 ? "n/a" : $"{MigrationReport.Format(x.Median, format)} ({MigrationReport.Format(x.Min, format)}–{MigrationReport.Format(x.Max, format)})";

    private static double? Mib(long? bytes) => bytes / 1048576.0;

    /// <summary>A failure as one table-safe line: a VMM's stderr can hold a whole stack trace.</summary>
    private static string OneLine(string text)
    {
        string line = string.Join(' ', text.Split('\n', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries)).Replace("|", "\\|");
        return line.Length <= 400 ? line : line[..400] + " …";
    }
}

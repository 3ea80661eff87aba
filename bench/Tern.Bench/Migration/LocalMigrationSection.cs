using System.Globalization;
using System.Text;
using System.Text.Json.Nodes;
using Tern.TestSupport.Results;

namespace Tern.Bench.Migration;

/// <summary>
/// `bench/run.sh --migration-local`: same-host migration of a 2 GiB guest with 1 GiB of random data
/// over UNIX. Tern with mem-share=on on both sides hands the memfd over (SCM_RIGHTS) and sends only
/// the state; QEMU copies RAM as usual, and, with x-ignore-shared on both sides and RAM a shared
/// file in /dev/shm that both processes map (a memfd cannot be shared between two QEMU 7.2
/// processes), skips it. Rounds interleaved with the order rotated, 5 quiet seconds before each.
/// Targets (issue 17): Tern's total time under 50 ms and its guest-visible pause under 20 ms.
/// </summary>
public static class LocalMigrationSection
{
    public const string Heading = "## Same-host migration (shared RAM)";
    private const string ScenarioKey = "random1g";
    private const double TotalTargetMs = 50, PauseTargetMs = 20;

    public static string Run(BenchOptions o, MachineFacts facts)
    {
        var started = DateTime.UtcNow;
        string loadAtStart = SectionText.LoadAverage();
        var scenario = MigrationScenario.Select([ScenarioKey], o.TickMs)[0];
        string sharedFile = Path.Combine("/dev/shm", $"tern-bench-qemu-ram-{Environment.ProcessId}");
        var vmms = Contenders(o, sharedFile);
        var runner = new MigrationRunner(o.Timeout, TimeSpan.FromSeconds(o.MigrationTimeoutS));
        var samples = new List<MigrationSample>();
        for (int round = 1 - o.WarmupRounds; round <= o.Rounds; round++)
            for (int i = 0; i < vmms.Count; i++)
            {
                Thread.Sleep(MigrationSection.MemorySettle);
                var sample = runner.Run(vmms[(i + Math.Max(round, 0)) % vmms.Count], scenario, Transport.Unix, round);
                File.Delete(sharedFile); // each QEMU pair starts from a fresh file, as each Tern source makes a fresh memfd
                Console.WriteLine(Describe(sample));
                if (round >= 1) samples.Add(sample);
            }
        return Render(o, facts, started, (loadAtStart, SectionText.LoadAverage()), vmms, scenario, samples);
    }

    private static IReadOnlyList<MigrationVmm> Contenders(BenchOptions o, string sharedFile)
    {
        var both = MigrationVmm.Both(o);
        var tern = both.Single(v => v.IsTern);
        var qemu = both.Single(v => !v.IsTern);
        return
        [
            tern with { Name = "Tern, memfd handed over", Reshape = (_, args) => Machine(args, "q35,mem-share=on") },
            qemu with { Name = "QEMU, RAM copied" },
            qemu with
            {
                Name = "QEMU, x-ignore-shared",
                Reshape = (s, args) => [.. Machine(args, "q35,memory-backend=ram0"),
                    "-object", $"memory-backend-file,id=ram0,size={s.MemoryMiB}M,mem-path={sharedFile},share=on"],
                Capabilities = ["x-ignore-shared"],
            },
        ];
    }

    /// <summary>The contender's command line with its -machine value replaced.</summary>
    private static List<string> Machine(List<string> args, string machine)
    {
        int at = args.IndexOf("-machine");
        var copy = args.ToList();
        copy[at + 1] = machine;
        return copy;
    }

    private static string Describe(MigrationSample s)
    {
        string head = $"{(s.Round < 1 ? "warm-up " : $"round {s.Round,-2}")} {s.Vmm,-24}";
        if (!s.Succeeded) return $"{head} FAILED: {s.Failure}";
        return string.Create(CultureInfo.InvariantCulture,
            $"{head} total {s.Stats!.TotalMs,6:F0} ms  pause {s.Gaps!.PauseMs,5:F0} ms  downtime {s.Stats.DowntimeMs,4:F0} ms  sent {s.Stats.TransferredBytes / 1024,8:F0} KiB");
    }

    private static string Render(BenchOptions o, MachineFacts facts, DateTime started, (string Start, string End) load,
        IReadOnlyList<MigrationVmm> vmms, MigrationScenario scenario, List<MigrationSample> samples)
    {
        var sb = new StringBuilder();
        sb.AppendLine(SectionText.Provenance(o, started, "bench/run.sh --migration-local" + (o.Rounds != 3 ? $" --rounds {o.Rounds}" : ""), load, "VMM")).AppendLine();
        sb.AppendLine(SectionText.Host(facts) + $" Guest: tests/guest/build/testkernel.elf (PVH entry), 2 vCPUs, {scenario.Name} (`{scenario.Append}`), the same for every VMM; UNIX socket.").AppendLine();
        sb.AppendLine("```");
        foreach (var v in vmms)
            sb.AppendLine($"# {v.Name}, destination\n{string.Join(' ', v.Arguments(scenario, "QMP.sock", "unix:MIGRATION.sock").Select(Quote))}");
        sb.AppendLine("```").AppendLine();
        sb.AppendLine("| | total time (ms) | guest-visible pause (ms) | downtime (ms) | RAM stream sent (KiB) |");
        sb.AppendLine("| --- | --- | --- | --- | --- |");
        foreach (var v in vmms)
        {
            var mine = samples.Where(s => s.Vmm == v.Name && s.Succeeded).ToList();
            sb.AppendLine($"| {v.Name} | {Cell(mine, s => s.Stats!.TotalMs)} | {Cell(mine, s => s.Gaps!.PauseMs)} | {Cell(mine, s => s.Stats!.DowntimeMs)} | " +
                          $"{Cell(mine, s => s.Stats!.TransferredBytes / 1024)} |");
        }
        sb.AppendLine();
        var tern = samples.Where(s => s.Vmm == vmms[0].Name && s.Succeeded).ToList();
        if (tern.Count > 0)
        {
            double total = Spread.Of(tern.Select(s => s.Stats!.TotalMs)).Median, pause = Spread.Of(tern.Select(s => s.Gaps!.PauseMs)).Median;
            sb.AppendLine(string.Create(CultureInfo.InvariantCulture,
                $"Targets: Tern's total time under {TotalTargetMs:F0} ms: **{(total < TotalTargetMs ? "met" : "missed")}** (median {total:F0} ms); " +
                $"guest-visible pause under {PauseTargetMs:F0} ms: **{(pause < PauseTargetMs ? "met" : "missed")}** (median {pause:F0} ms).")).AppendLine();
        }
        var failures = samples.Where(s => !s.Succeeded).ToList();
        if (failures.Count > 0)
        {
            sb.AppendLine("Failed runs (left out of the table):").AppendLine();
            foreach (var f in failures) sb.AppendLine($"- round {f.Round}, {f.Vmm}: {f.Failure}");
            sb.AppendLine();
        }
        sb.AppendLine("### Method and notes").AppendLine();
        sb.AppendLine("StratoVirt's procedure for each: source, destination with `-incoming unix:PATH`, `migrate` on the source's QMP. " +
                      "Tern gets `mem-share=on` on both sides and nothing else (its x-ignore-shared capability is on by default); QEMU gets " +
                      "max-bandwidth 100 GB/s as in the migration benchmark, and in its x-ignore-shared runs the capability on both sides " +
                      "before `migrate` and RAM from one /dev/shm file both processes map. Total time, downtime and bytes are the source's " +
                      "query-migrate `total-time`, `downtime` and `ram.transferred`; the guest-visible pause is the largest gap between TICK " +
                      $"lines ({o.TickMs} ms apart) around the switch-over, as the guest's console reached the host (the migration benchmark's " +
                      "TickGaps). A run counts only when the guest then checked its whole region at the destination and found it intact.");
        return sb.ToString();
    }

    private static string Quote(string arg) => arg.Contains(' ') ? $"\"{arg}\"" : arg;

    private static string Cell(List<MigrationSample> samples, Func<MigrationSample, double> value)
    {
        var s = Spread.Of(samples.Select(value));
        return s.Count == 0 ? "n/a" : string.Create(CultureInfo.InvariantCulture, $"{s.Median:F0} ({s.Min:F0}–{s.Max:F0})");
    }
}

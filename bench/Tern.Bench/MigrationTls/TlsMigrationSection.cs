using System.Diagnostics;
using System.Globalization;
using System.Text;
using Tern.Bench.Migration;
using Tern.TestSupport.Results;

namespace Tern.Bench.MigrationTls;

/// <summary>
/// `bench/run.sh --migration-tls`: a guest with 1 GiB of random data (2 GiB RAM) migrated over TCP on
/// loopback, with and without TLS, Tern against QEMU q35, rounds interleaved with the order rotated
/// and 5 quiet seconds before each migration. Reports total time, throughput and the CPU each side
/// spent per GiB sent.
/// </summary>
public static class TlsMigrationSection
{
    public const string Heading = "## Live migration over TLS";
    private const string ScenarioKey = "random1g";

    public static string Run(BenchOptions o, MachineFacts facts)
    {
        var started = DateTime.UtcNow;
        string loadAtStart = SectionText.LoadAverage();
        var scenario = MigrationScenario.Select([ScenarioKey], o.TickMs)[0];
        var vmms = MigrationVmm.Both(o);
        var contenders = vmms.SelectMany(v => new[] { (Vmm: v, Tls: false), (Vmm: v, Tls: true) }).ToList();
        using var certificates = new TemporaryDirectory("tern-tls-bench-certs-");
        string credentials = MakeCredentials(certificates.Path);
        var runner = new TlsMigrationRunner(o.Timeout, TimeSpan.FromSeconds(o.MigrationTimeoutS), credentials);
        var samples = new List<TlsSample>();
        for (int round = 1 - o.WarmupRounds; round <= o.Rounds; round++)
            for (int i = 0; i < contenders.Count; i++)
            {
                var (vmm, tls) = contenders[(i + Math.Max(round, 0)) % contenders.Count];
                Thread.Sleep(MigrationSection.MemorySettle);
                var sample = runner.Run(vmm, tls, scenario, round);
                Console.WriteLine(Describe(sample));
                if (round >= 1) samples.Add(sample);
            }
        return Render(o, facts, started, (loadAtStart, SectionText.LoadAverage()), vmms, scenario, samples);
    }

    /// <summary>One CA and one certificate for both sides (server and client use), made by `tern ca` as a user would.</summary>
    private static string MakeCredentials(string directory)
    {
        string ca = Path.Combine(directory, "ca"), node = Path.Combine(directory, "node");
        TernCa("init", "--dir", ca);
        TernCa("issue", "bench", "--dir", ca, "--out", node, "--ip", "127.0.0.1", "--dns", TlsMigrationRunner.Hostname);
        return node;
    }

    /// <summary>
    /// Through the repository's launcher (run.sh runs from the root): `tern ca` runs in the cluster
    /// build beside the native one, which the benchmark's own publish leaves out.
    /// </summary>
    private static void TernCa(params string[] args)
    {
        var start = new ProcessStartInfo(Path.GetFullPath("tern")) { RedirectStandardOutput = true, RedirectStandardError = true };
        start.ArgumentList.Add("ca");
        foreach (var a in args) start.ArgumentList.Add(a);
        using var p = Process.Start(start)!;
        string errors = p.StandardError.ReadToEnd();
        p.WaitForExit();
        if (p.ExitCode != 0) throw new InvalidOperationException($"tern ca {args[0]} failed: {errors.Trim()}");
    }

    private static string Label(string vmm, bool tls) => $"{vmm}, {(tls ? "TLS" : "plain TCP")}";

    private static string Describe(TlsSample s)
    {
        string head = $"{(s.Round < 1 ? "warm-up " : $"round {s.Round,-2}")} {Label(s.Vmm, s.Tls),-16}";
        return s.Succeeded
            ? string.Create(CultureInfo.InvariantCulture, $"{head} total {s.TotalMs,6:F0} ms  {s.MiBPerSecond,6:F0} MiB/s  sent {s.TransferredBytes / (1 << 20),6:F0} MiB  " +
                $"CPU source {s.SourceCpuSeconds,5:F2} s  destination {s.DestinationCpuSeconds,5:F2} s")
            : $"{head} FAILED: {s.Failure}";
    }

    private static string Render(BenchOptions o, MachineFacts facts, DateTime started, (string Start, string End) load,
        IReadOnlyList<MigrationVmm> vmms, MigrationScenario scenario, List<TlsSample> samples)
    {
        var sb = new StringBuilder();
        sb.AppendLine(SectionText.Provenance(o, started, "bench/run.sh --migration-tls" + (o.Rounds != 3 ? $" --rounds {o.Rounds}" : ""), load, "VMM and mode")).AppendLine();
        sb.AppendLine("The machine was shared with other engineers' builds and tests while this ran, so the spreads include their load.").AppendLine();
        sb.AppendLine(SectionText.Host(facts) + $" Guest: tests/guest/build/testkernel.elf (PVH entry), 2 vCPUs, {scenario.Name} (`{scenario.Append}`), the same for both VMMs.").AppendLine();
        sb.AppendLine("```");
        foreach (var v in vmms)
        {
            sb.AppendLine($"# {v.Name}, destination (the source: the same without -incoming and with endpoint=client)");
            sb.AppendLine($"{v.CommandLine(scenario, "defer")} -object tls-creds-x509,id=tls0,dir=CERTS,endpoint=server");
        }
        sb.AppendLine("```").AppendLine();

        sb.AppendLine("| | total time (ms) | throughput (MiB/s) | source CPU (s per GiB sent) | destination CPU (s per GiB sent) |");
        sb.AppendLine("| --- | --- | --- | --- | --- |");
        foreach (var v in vmms)
            foreach (bool tls in new[] { false, true })
            {
                var mine = samples.Where(s => s.Vmm == v.Name && s.Tls == tls && s.Succeeded).ToList();
                sb.AppendLine($"| {Label(v.Name, tls)} | {Cell(mine, s => s.TotalMs, "F0")} | {Cell(mine, s => s.MiBPerSecond, "F0")} | " +
                              $"{Cell(mine, s => s.SourceCpuPerGiB, "F2")} | {Cell(mine, s => s.DestinationCpuPerGiB, "F2")} |");
            }
        sb.AppendLine();
        var failures = samples.Where(s => !s.Succeeded).ToList();
        if (failures.Count > 0)
        {
            sb.AppendLine("Failed runs (left out of the table):").AppendLine();
            foreach (var f in failures) sb.AppendLine($"- round {f.Round}, {Label(f.Vmm, f.Tls)}: {f.Failure}");
            sb.AppendLine();
        }
        sb.AppendLine("### Method and notes").AppendLine();
        sb.AppendLine("Both VMMs follow QEMU's TLS procedure: `-object tls-creds-x509` on each side (endpoint=client on the source, " +
                      "endpoint=server on the destination, one certificate made by `tern ca issue --ip 127.0.0.1 --dns localhost` for both), " +
                      "`-incoming defer`, `migrate-set-parameters {\"tls-creds\":\"tls0\"}` then `migrate-incoming` on the destination, " +
                      $"`migrate-set-parameters {{\"tls-creds\":\"tls0\",\"tls-hostname\":\"{TlsMigrationRunner.Hostname}\"}}` then `migrate` on the source; " +
                      "the plain runs take the same steps without the objects and tls-creds. QEMU also gets max-bandwidth 100 GB/s (no cap) as in the migration benchmark. " +
                      "Total time and bytes sent are the source's query-migrate `total-time` and `ram.transferred`; throughput is their quotient. " +
                      "CPU is utime + stime of each whole process from /proc/PID/stat (1/100 s ticks), read just before `migrate` and right after " +
                      "query-migrate showed completed, divided by the GiB sent; the guest's own vCPU time is in it on both sides (the soak guest " +
                      "ticks every " + $"{o.TickMs} ms and the destination resumes it at the end), alike for both VMMs and both modes. " +
                      "A run counts only when the guest then checked its whole region at the destination and found it intact.");
        return sb.ToString();
    }

    private static string Cell(List<TlsSample> samples, Func<TlsSample, double> value, string format)
    {
        var s = Spread.Of(samples.Select(value));
        string F(double v) => double.IsFinite(v) ? v.ToString(format, CultureInfo.InvariantCulture) : "n/a";
        return s.Count == 0 ? "n/a" : $"{F(s.Median)} ({F(s.Min)}–{F(s.Max)})";
    }

    /// <summary>A directory removed with everything in it at the end of the run.</summary>
    private sealed class TemporaryDirectory(string prefix) : IDisposable
    {
        public string Path { get; } = Directory.CreateTempSubdirectory(prefix).FullName;

        public void Dispose() => Directory.Delete(Path, recursive: true);
    }
}

using System.Globalization;
using System.Text;
using System.Text.Json;
using Tern.Actors.Cluster;
using Tern.Actors.Cluster.Protocol;
using Tern.EndToEnd.Tests.Support;
using Tern.Host.Api;
using Tern.TestSupport.Results;
using Xunit.Abstractions;

namespace Tern.EndToEnd.Tests.Cluster.Bench;

/// <summary>
/// A cluster live migration of a 1 GiB guest with and without TLS (issue 15's benchmark): two
/// <c>tern node</c> processes on loopback, plain and then with <c>--tls</c> (the cluster transport,
/// the API and the migration stream encrypted), the same guest moved n1 -> n2 by <c>tern ctl
/// migrate</c> each round, after 5 quiet seconds. Reported: total time, throughput, the guest's
/// pause, and CPU seconds per GiB moved on each side: the node process's utime+stime plus its VM
/// processes' (their cgroups), so an idle guest's ticks count too; with TLS the nodes relay the
/// stream and run the TLS.
/// </summary>
public sealed class ClusterTlsBenchmark(ITestOutputHelper output)
{
    public const string ResultsVariable = "TERN_CLUSTER_TLS_BENCH_RESULTS";
    public const string Heading = "## Cluster migration with and without TLS";
    private const string Append = "mode=soak mib=896 tick_ms=100 check_every=100000";
    private static readonly TimeSpan Timeout = TimeSpan.FromMinutes(3);

    private sealed record Round(bool Tls, MigrationReport Report, double SourceCpu, double TargetCpu);

    [ClusterTlsBenchmarkFact]
    public void Migrating_1_GiB_between_nodes_with_and_without_tls()
    {
        int rounds = int.TryParse(Environment.GetEnvironmentVariable("TERN_CLUSTER_BENCH_ROUNDS"), out var r) ? r : 3;
        var started = DateTime.UtcNow;
        var results = new List<Round>();
        using var dir = new TempDir();
        Tern("ca", "init", "--dir", dir.File("ca"));
        foreach (var node in new[] { "n1", "n2" }) Tern("ca", "issue", node, "--dir", dir.File("ca"), "--out", dir.File($"tls-{node}"), "--ip", "127.0.0.1");
        foreach (bool tls in new[] { false, true })
        {
            string[] Tls(string node) => tls ? ["--tls", dir.File($"tls-{node}")] : [];
            string mode = tls ? "tls" : "plain";
            using var n1 = new ClusterNode("n1", dir.File($"{mode}-n1"), Tls("n1"));
            using var n2 = new ClusterNode("n2", dir.File($"{mode}-n2"), [.. Tls("n2"), "--seed", $"127.0.0.1:{n1.BindPort}"]);
            n1.WaitFor(() => n1.CtlJson("hosts").GetArrayLength(), n => n == 2, Timeout, "two hosts up");
            for (int round = 1; round <= rounds; round++)
            {
                results.Add(MigrateOnce(n1, n2, tls, $"{mode}{round}"));
                var last = results[^1];
                output.WriteLine($"{mode} round {round}: {last.Report.TotalTimeMs} ms, paused {last.Report.DowntimeMs} ms, {last.Report.TransferredBytes >> 20} MiB, CPU {last.SourceCpu:0.00} s / {last.TargetCpu:0.00} s");
            }
        }
        string section = Render(started, rounds, results);
        ResultsFile.ReplaceSection(Environment.GetEnvironmentVariable(ResultsVariable)!, Heading, section);
        output.WriteLine(section);
    }

    private static Round MigrateOnce(ClusterNode n1, ClusterNode n2, bool tls, string vm)
    {
        Assert.Equal(0, n1.Ctl("drain", "n2").ExitCode);
        Assert.Equal(0, n1.Ctl("create", vm, "--kernel", Repo.TestKernel, "--append", Append, "--memory", "1G").ExitCode);
        Assert.Equal(0, n1.Ctl("undrain", "n2").ExitCode);
        n1.WaitFor(() => n1.ConsoleLines(vm), l => l.Any(x => x.StartsWith("SOAK filled", StringComparison.Ordinal)), Timeout, $"{vm} filled");
        Thread.Sleep(5000); // quiet: memory the outer host took back settles, nothing else runs
        var (source0, target0) = (HostCpuSeconds(n1, "n1"), HostCpuSeconds(n2, "n2"));
        var migrated = n1.Ctl("migrate", vm, "--to", "n2", "--json");
        var (source1, target1) = (HostCpuSeconds(n1, "n1"), HostCpuSeconds(n2, "n2"));
        Assert.True(migrated.ExitCode == 0, migrated.Output);
        var report = JsonSerializer.Deserialize<MigrationReport>(string.Join("\n", migrated.Stdout), ApiJson.Options)!;
        Assert.Equal("completed", report.Status);
        Assert.Equal(0, n1.Ctl("stop", vm).ExitCode);
        n1.WaitFor(() => n1.VmState(vm), s => s == "stopped", Timeout, $"{vm} stopped");
        Assert.Equal(0, n1.Ctl("delete", vm).ExitCode);
        return new Round(tls, report, source1 - source0, target1 - target0);
    }

    /// <summary>
    /// CPU seconds a host spent: its node process and its VM processes, read from the cgroup that
    /// holds the VM processes' cgroups (tern/NODE under the node's own), whose count keeps what
    /// processes that have ended used.
    /// </summary>
    private static double HostCpuSeconds(ClusterNode node, string name)
    {
        int pid = node.Process.Id;
        var host = global::Tern.Host.VmProcess.Sandbox.CgroupHost.Parse(File.ReadAllText("/proc/self/mountinfo"), File.ReadAllText($"/proc/{pid}/cgroup"),
            p => File.Exists(p) ? File.ReadAllText(p) : null) ?? throw new InvalidOperationException("no cgroups on this host");
        double vms = host.Version == global::Tern.Host.VmProcess.Sandbox.CgroupVersion.V2
            ? Usage(host.Hierarchies[0], name, "cpu.stat", text => long.Parse(text.Split('\n').Single(l => l.StartsWith("usage_usec ", StringComparison.Ordinal))[11..], CultureInfo.InvariantCulture) / 1e6)
            : Usage(host.Hierarchies.Single(h => h.Controllers.Contains("cpuacct")), name, "cpuacct.usage", text => long.Parse(text.Trim(), CultureInfo.InvariantCulture) / 1e9);
        return CpuSeconds(pid) + vms;
    }

    private static double Usage(global::Tern.Host.VmProcess.Sandbox.CgroupHierarchy hierarchy, string node, string file, Func<string, double> parse)
    {
        string path = Path.Combine(hierarchy.Directory(hierarchy.NodeCgroup.TrimEnd('/') + "/tern/" + node), file);
        return File.Exists(path) ? parse(File.ReadAllText(path)) : 0;
    }

    /// <summary>utime + stime of a process, in seconds (/proc/PID/stat fields 14 and 15, in clock ticks of 1/100 s).</summary>
    private static double CpuSeconds(int pid)
    {
        string stat = File.ReadAllText($"/proc/{pid}/stat");
        var fields = stat[(stat.LastIndexOf(')') + 2)..].Split(' ');
        return (long.Parse(fields[11], CultureInfo.InvariantCulture) + long.Parse(fields[12], CultureInfo.InvariantCulture)) / 100.0;
    }

    private static void Tern(params string[] args)
    {
        var result = TernProcess.Run(args);
        Assert.True(result.ExitCode == 0, $"tern {string.Join(' ', args)}: {result.Output}");
    }

    private static string Render(DateTime started, int rounds, IReadOnlyList<Round> results)
    {
        var s = new StringBuilder();
        s.AppendLine(Inv($"Written by `bench/run.sh --cluster-tls` ({rounds} rounds per mode) at {started:yyyy-MM-dd HH:mm} UTC, revision {Environment.GetEnvironmentVariable("TERN_BENCH_REVISION") ?? "unknown"}, on {Environment.ProcessorCount} cores."));
        s.AppendLine($"Two `tern node` processes on loopback (SQLite journal on n1); one VM, `--memory 1G`, 1 vCPU, `{Append}` (896 MiB of");
        s.AppendLine("its RAM filled with data, then idle ticks), moved n1 -> n2 by `tern ctl migrate` after 5 quiet seconds; plain, then with");
        s.AppendLine("`--tls` on both nodes (mutual TLS on the cluster transport, HTTPS API, TLS on the migration stream). CPU is the node");
        s.AppendLine("processes' utime+stime plus their VM processes' (the cgroup tern/NODE) over the migration per GiB sent (the guest's idle ticks");
        s.AppendLine("included); with TLS each node relays its VM process's stream and runs the TLS itself. The destination backs fresh");
        s.AppendLine("memory at about 0.5 GB/s on this host (it is itself a VM), which bounds both modes alike.");
        s.AppendLine();
        s.AppendLine("| mode | total time (s) | throughput (MiB/s) | guest paused (ms) | source CPU (s/GiB) | destination CPU (s/GiB) |");
        s.AppendLine("|---|---|---|---|---|---|");
        foreach (bool tls in new[] { false, true })
        {
            var mine = results.Where(x => x.Tls == tls).ToArray();
            double Gib(Round x) => x.Report.TransferredBytes / (double)(1UL << 30);
            var total = Spread.Of(mine.Select(x => x.Report.TotalTimeMs / 1000.0));
            var rate = Spread.Of(mine.Select(x => x.Report.TransferredBytes / (1024.0 * 1024) / (x.Report.TotalTimeMs / 1000.0)));
            var pause = Spread.Of(mine.Select(x => (double)(x.Report.DowntimeMs ?? 0)));
            var source = Spread.Of(mine.Select(x => x.SourceCpu / Gib(x)));
            var target = Spread.Of(mine.Select(x => x.TargetCpu / Gib(x)));
            s.AppendLine(Inv($"| {(tls ? "TLS" : "plain")} | {total.Median:0.00} ({total.Min:0.00}-{total.Max:0.00}) | {rate.Median:0} | {pause.Median:0} | {source.Median:0.00} | {target.Median:0.00} |"));
        }
        var plain = Spread.Of(results.Where(x => !x.Tls).Select(x => x.Report.TotalTimeMs / 1000.0)).Median;
        var secured = Spread.Of(results.Where(x => x.Tls).Select(x => x.Report.TotalTimeMs / 1000.0)).Median;
        s.AppendLine();
        s.AppendLine(Inv($"TLS / plain total time: x{secured / plain:0.00}."));
        return s.ToString();
    }

    private static string Inv(FormattableString text) => text.ToString(CultureInfo.InvariantCulture);
}

/// <summary>Runs only when bench/run.sh --cluster-tls asks for it (it sets the results file) and KVM is there.</summary>
public sealed class ClusterTlsBenchmarkFactAttribute : FactAttribute
{
    public ClusterTlsBenchmarkFactAttribute()
    {
        Skip = new KvmFactAttribute().Skip
            ?? (Environment.GetEnvironmentVariable(ClusterTlsBenchmark.ResultsVariable) is null
                ? $"a benchmark: bench/run.sh --cluster-tls runs it ({ClusterTlsBenchmark.ResultsVariable} unset)" : null);
    }
}

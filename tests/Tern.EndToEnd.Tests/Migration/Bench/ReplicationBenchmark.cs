using System.Globalization;
using System.Text;
using System.Text.Json.Nodes;
using Tern.EndToEnd.Tests.Net;
using Tern.EndToEnd.Tests.Qmp;
using Tern.EndToEnd.Tests.Support;
using Tern.Host.Qmp.Client;
using Tern.TestSupport.Net;
using Tern.TestSupport.Qmp;
using Tern.TestSupport.Results;
using Xunit.Abstractions;
using static Tern.EndToEnd.Tests.Migration.MigrationVm;

namespace Tern.EndToEnd.Tests.Migration.Bench;

/// <summary>
/// Issue 18's overhead benchmark, standalone: a guest replicated into a standby at epochs of 25, 50
/// and 100 ms, idle (ticking) and dirtying memory without pause (rewriting 32 MiB), against the same
/// guest unprotected in Tern and in QEMU (the peer: QEMU's own replication, COLO, needs its block
/// replication, quorum and colo-compare set up around a running secondary, and is not run here).
/// Each case: 5 quiet seconds, the guest's work rate over 5 s unprotected, then protected (after
/// 10 checkpoints), and the primary's checkpoint figures over that window; a network counter guest
/// gives the request-reply latency a client sees, unprotected and protected.
/// </summary>
public sealed class ReplicationBenchmark(ITestOutputHelper output)
{
    public const string ResultsVariable = "TERN_REPLICATION_BENCH_RESULTS";
    public const string Heading = "## Replication (x-colo) overhead";
    private static readonly int[] Epochs = [25, 50, 100];
    private static readonly TimeSpan Window = TimeSpan.FromSeconds(5);
    private const int Requests = 50;

    /// <summary>A guest to replicate: its command line, when it is ready, and how its work rate is read (null: not measured).</summary>
    private sealed record Workload(string Name, string Append, string Unit, Func<string, bool> Ready, Func<TernProcess, double>? Rate, bool Network = false);

    private static readonly Workload[] Workloads =
    [
        new("idle", "mode=soak mib=64 tick_ms=100 check_every=10 busy=5", "", l => l.StartsWith("SOAK filled", StringComparison.Ordinal), null),
        new("rewriting 32 MiB/s", "mode=dirty mib=64 rate=32", "work units/s", l => l.StartsWith("DIRTY work=", StringComparison.Ordinal), WorkRate),
        new("dirtying 32 MiB flat out", "mode=dirty mib=32", "MiB/s", l => DirtyPass(l) >= 2, DirtyRate),
        new("network counter", "mode=net net=counter", "", l => l.Contains("NET counter ready"), null, Network: true),
    ];

    private sealed record Case(Workload Guest, int EpochMs, double? RateBefore, double? RateProtected, double PauseP50, double PauseP99,
        double PauseMax, double CheckpointsPerSecond, double MegabytesPerSecond, long Stretched, double? LatencyBefore, double? LatencyProtected);

    /// <summary>The peer's figures for a workload: its work rate, or its request-reply median.</summary>
    private sealed record Peer(double? Rate, double? Latency);

    [ReplicationBenchmarkFact]
    public void Checkpoint_pauses_bandwidth_and_guest_work_rate_at_three_epochs()
    {
        var started = DateTime.UtcNow;
        var peers = Workloads.ToDictionary(w => w.Name, Qemu);
        foreach (var (name, peer) in peers) output.WriteLine($"QEMU, unprotected, {name}: {peer}");
        var cases = new List<Case>();
        foreach (var workload in Workloads)
            foreach (int epoch in Epochs)
            {
                cases.Add(Measure(workload, epoch));
                output.WriteLine(cases[^1].ToString());
            }
        string section = Render(started, peers, cases);
        ResultsFile.ReplaceSection(Environment.GetEnvironmentVariable(ResultsVariable)!, Heading, section);
        output.WriteLine(section);
    }

    private Case Measure(Workload w, int epochMs)
    {
        using var dir = new TempDir();
        string uri = UnixUri(dir);
        using var primaryTap = w.Network ? TapInterface.Create() : null;
        using var standbyTap = w.Network ? TapInterface.Create() : null;
        using var client = primaryTap is null ? null : new FrameCollector(primaryTap);
        using var primary = Source(w.Append, "512M", primaryTap is null ? [] : NetVm.NicArgs(primaryTap.Name));
        using var standby = Destination(w.Append, "512M", standbyTap is null ? [] : NetVm.NicArgs(standbyTap.Name), uri);
        primary.Process.WaitForLine(w.Ready, Long);
        Thread.Sleep(5000); // quiet: memory the outer host took back settles
        double? before = w.Rate?.Invoke(primary.Process);
        uint seq = 0;
        double? latencyBefore = client is null ? null : CounterLatency.Median(client, ref seq, Requests);

        using var p = primary.Connect();
        using var s = standby.Connect();
        SetColo(s);
        SetColo(p);
        p.Return("migrate-set-parameters", new JsonObject { ["x-checkpoint-delay"] = epochMs });
        p.Return("migrate", new JsonObject { ["uri"] = uri });
        var first = WaitCheckpoints(p, c => (long?)c["committed"] >= 10)["x-checkpoints"]!;
        var at = DateTime.UtcNow;
        double? during = w.Rate is { } rate ? rate(primary.Process) : Sleep(Window);
        double? latencyProtected = client is null ? null : CounterLatency.Median(client, ref seq, Requests);
        var last = Checkpoints(p);
        double seconds = (DateTime.UtcNow - at).TotalSeconds;
        Assert.Null(last["broken"]);
        p.Return("migrate_cancel");
        return new Case(w, epochMs, before, during, (double)last["pause-p50"]!, (double)last["pause-p99"]!, (double)last["pause-max"]!,
            ((long)last["taken"]! - (long)first["taken"]!) / seconds,
            ((long)last["total-bytes"]! - (long)first["total-bytes"]!) / 1e6 / seconds, (long)last["stretched"]!, latencyBefore, latencyProtected);
    }

    private static double? Sleep(TimeSpan span)
    {
        Thread.Sleep(span);
        return null;
    }

    private static JsonNode Checkpoints(QmpClient qmp) => qmp.Return("query-migrate")!["x-checkpoints"]!;

    /// <summary>The pass number of a "DIRTY pass=N ok" line, else -1.</summary>
    private static int DirtyPass(string line) =>
        line.StartsWith("DIRTY pass=", StringComparison.Ordinal) && line.EndsWith(" ok", StringComparison.Ordinal)
            ? int.Parse(line.Split(' ')[1][5..], CultureInfo.InvariantCulture) : -1;

    /// <summary>MiB/s the flat-out guest rewrote over the next <see cref="Window"/>: passes of 32 MiB, counted from its lines' arrival.</summary>
    private static double DirtyRate(TernProcess guest)
    {
        var from = DateTime.UtcNow;
        Thread.Sleep(Window);
        var passes = guest.TimedStdout.Where(l => l.At >= from && DirtyPass(l.Line) >= 0).Select(l => (l.At, Pass: DirtyPass(l.Line))).ToArray();
        Assert.True(passes.Length >= 2, $"the guest reported {passes.Length} passes in {Window.TotalSeconds} s");
        return (passes[^1].Pass - passes[0].Pass) * 32.0 / (passes[^1].At - passes[0].At).TotalSeconds;
    }

    /// <summary>Work units per second of the paced guest over the next <see cref="Window"/>, by its own clock ("DIRTY work=W ms=T").</summary>
    private static double WorkRate(TernProcess guest)
    {
        var from = DateTime.UtcNow;
        Thread.Sleep(Window);
        var reports = guest.TimedStdout.Where(l => l.At >= from && l.Line.StartsWith("DIRTY work=", StringComparison.Ordinal))
            .Select(l => l.Line.Split(' ')).Select(f => (Work: long.Parse(f[1][5..], CultureInfo.InvariantCulture), Ms: long.Parse(f[2][3..], CultureInfo.InvariantCulture)))
            .ToArray();
        Assert.True(reports.Length >= 2, $"the guest reported its work {reports.Length} times in {Window.TotalSeconds} s");
        return (reports[^1].Work - reports[0].Work) * 1000.0 / (reports[^1].Ms - reports[0].Ms);
    }

    /// <summary>The peer: the same guest in QEMU, unprotected, measured the same way (the network one on a TAP of its own).</summary>
    private static Peer Qemu(Workload w)
    {
        using var tap = w.Network ? TapInterface.Create() : null;
        using var client = tap is null ? null : new FrameCollector(tap);
        string[] nic = tap is null ? [] : ["-netdev", $"tap,id=n0,ifname={tap.Name},script=no,downscript=no", "-device", $"virtio-net-pci,netdev=n0,mac={NetVm.Mac},disable-legacy=on,romfile="];
        using var qemu = TernProcess.Start(["-enable-kvm", "-cpu", "host,-arch-capabilities", "-machine", "q35", "-m", "512M", "-smp", "2", "-nodefaults",
            "-nographic", "-serial", "stdio", "-kernel", Repo.TestKernel, "-append", w.Append, .. nic], executable: KvmWithFactAttribute.Qemu);
        qemu.WaitForLine(w.Ready, Long);
        Thread.Sleep(5000);
        uint seq = 0;
        return new Peer(w.Rate?.Invoke(qemu), client is null ? null : CounterLatency.Median(client, ref seq, Requests));
    }

    private static string Render(DateTime started, IReadOnlyDictionary<string, Peer> peers, IReadOnlyList<Case> cases)
    {
        var s = new StringBuilder();
        s.AppendLine(Inv($"Written by `bench/run.sh --replication` at {started:yyyy-MM-dd HH:mm} UTC, revision {Environment.GetEnvironmentVariable("TERN_BENCH_REVISION") ?? "unknown"}, on {Environment.ProcessorCount} cores."));
        s.AppendLine("Standalone `tern` primary and standby on this host (unix socket), 512 MiB, 2 vCPUs, the test kernel (tests/guest/README.md):");
        foreach (var w in Workloads) s.AppendLine($"- {w.Name}: `{w.Append}`" + (w.Unit.Length > 0 ? $", work rate in {w.Unit}" : ""));
        s.AppendLine();
        s.AppendLine("Idle ticks, spinning 5% of each 100 ms. Rewriting 32 MiB/s rewrites a 64 MiB region at that pace, a 64 KiB chunk at");
        s.AppendLine("a time, and spends the time left over on work units (a fixed integer loop), counted by the guest's own clock. Flat out");
        s.AppendLine("rewrites 32 MiB without pause, its rate the MiB/s rewritten. The counter answers a client on a TAP, asked " + Inv($"{Requests}"));
        s.AppendLine("times in a row (each request waits for its reply; the guest sleeps up to 1 ms between frames): the median request-reply time.");
        s.AppendLine("After 5 quiet seconds each figure is taken over 5 s unprotected; then `x-colo` is set on both sides, `x-checkpoint-delay`");
        s.AppendLine("to the epoch, `migrate`; after 10 committed checkpoints the same window again, with the primary's figures over it (pauses:");
        s.AppendLine("percentiles of the last 1000 checkpoints but the first, which ends the initial sync). The peer is the same guest unprotected");
        s.AppendLine("in QEMU, same run: QEMU's COLO needs block replication, quorum and colo-compare around a running secondary and was not");
        s.AppendLine("measured. Primary and standby share the host's 2 cores.");
        s.AppendLine();
        s.AppendLine("| guest | epoch (ms) | work rate protected / unprotected | protected vs QEMU unprotected | request-reply protected / unprotected (ms) | pause p50 (ms) | p99 (ms) | max (ms) | checkpoints/s | replication (MB/s) | stretched |");
        s.AppendLine("|---|---|---|---|---|---|---|---|---|---|---|");
        foreach (var c in cases)
        {
            var peer = peers[c.Guest.Name];
            string rate = c.RateProtected is { } after && c.RateBefore is { } before ? Inv($"{after:0} / {before:0} = {after / before:P0}") : "-";
            string vsPeer = c.RateProtected is { } a && peer.Rate is { } q ? Inv($"{a / q:P0} (QEMU {q:0})")
                : c.LatencyProtected is { } l && peer.Latency is { } ql ? Inv($"QEMU {ql:0.00} ms") : "-";
            string latency = c.LatencyProtected is { } lp && c.LatencyBefore is { } lb ? Inv($"{lp:0.0} / {lb:0.00} (+{lp - lb:0.0})") : "-";
            s.AppendLine(Inv($"| {c.Guest.Name} | {c.EpochMs} | {rate} | {vsPeer} | {latency} | {c.PauseP50:0.00} | {c.PauseP99:0.00} | {c.PauseMax:0.00} | {c.CheckpointsPerSecond:0.0} | {c.MegabytesPerSecond:0.0} | {c.Stretched} |"));
        }
        s.AppendLine();
        s.AppendLine("Targets (issue 18): work rate >= 70 % of the unprotected guest rewriting 32 MiB/s, pause p99 < 5 ms. On this host every");
        s.AppendLine("first write to a page after a sync of the dirty log faults, and under kvm_pvm a fault is slow: the flat-out guest is bound");
        s.AppendLine("by those faults, and under a plain pre-copy migration (rounds going on, no checkpoints) rewrites as little. The pause grows");
        s.AppendLine("with the pages an epoch dirtied, since each is copied while the guest waits; a reply waits for the checkpoint after it.");
        return s.ToString();
    }

    private static string Inv(FormattableString text) => text.ToString(CultureInfo.InvariantCulture);
}

/// <summary>Runs only when bench/run.sh --replication asks for it (it sets the results file), with KVM and QEMU there.</summary>
public sealed class ReplicationBenchmarkFactAttribute : FactAttribute
{
    public ReplicationBenchmarkFactAttribute()
    {
        Skip = new KvmWithFactAttribute(KvmWithFactAttribute.Qemu).Skip
            ?? (Environment.GetEnvironmentVariable(ReplicationBenchmark.ResultsVariable) is null
                ? $"a benchmark: bench/run.sh --replication runs it ({ReplicationBenchmark.ResultsVariable} unset)" : null);
    }
}

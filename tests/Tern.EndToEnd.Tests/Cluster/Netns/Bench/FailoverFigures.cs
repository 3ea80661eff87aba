using System.Globalization;
using System.Text;
using Tern.TestSupport.Results;

namespace Tern.EndToEnd.Tests.Cluster.Netns.Bench;

/// <summary>The failover benchmark's measurements (seconds) and its bench/RESULTS.md section.</summary>
public sealed class FailoverFigures
{
    public const string Heading = "## Protected VMs: failover to the standby";

    /// <summary>Per round: the follower's first new tick, and the manager's record of the VM running on the standby.</summary>
    public List<(double Follower, double Running)> Protected { get; } = [];
    public List<double> Cold { get; } = [];
    public List<double> WithManager { get; } = [];

    public string Render(DateTime started)
    {
        var s = new StringBuilder();
        s.AppendLine(Inv($"Written by `bench/run.sh --failover` at {started:yyyy-MM-dd HH:mm} UTC, revision {Environment.GetEnvironmentVariable("TERN_BENCH_REVISION") ?? "unknown"}, on {Environment.ProcessorCount} cores."));
        s.AppendLine("Three `tern node` processes with TLS, each in its own network namespace, PostgreSQL journal; one VM of 64 MiB, 1 vCPU,");
        s.AppendLine("test kernel `" + SoakGuest.Append + "` (a 1 MiB disk), protected with 50 ms epochs. A kill is SIGKILL of every process in the host's namespace.");
        s.AppendLine();
        s.AppendLine("| SIGKILL of the VM's host -> guest ticking again | rounds | median | min | max | target |");
        s.AppendLine("|---|---|---|---|---|---|");
        s.AppendLine(Row("protected, the manager's host survives: the VM running on its standby (manager's event log)", Protected.Select(p => p.Running).ToList(), "< 1 s"));
        s.AppendLine(Row("protected, the manager's host survives: a new tick at the console follower", Protected.Select(p => p.Follower).ToList(), "< 1 s"));
        s.AppendLine(Row("protected, the manager dies with the primary", WithManager, "the manager's move + 1 s"));
        s.AppendLine(Row("unprotected (Tern's cold failover: reboot elsewhere), same run", Cold, ""));
        s.AppendLine();
        var p = Spread.Of(Protected.Select(x => x.Follower));
        var c = Spread.Of(Cold);
        if (p.Count > 0 && c.Count > 0)
            s.AppendLine(Inv($"Protected failover is {c.Median / p.Median:0}x faster than the cold failover here, and the guest loses nothing: no reboot, its memory, connections and disk as of its last committed checkpoint."));
        s.AppendLine("Anchors (published, not measured here): Remus checkpoints every 25 ms and fails over in seconds; vSphere HA detects a host failure in about 15 s and then reboots the VM; vSphere FT keeps a running secondary.");
        s.AppendLine();
        s.AppendLine("- Protected: \"running\" is the manager's event `vm p running on HOST` (the standby's host reported the promoted guest running) less the kill's time, on the same clock. \"A new tick\" is the arrival, at a `ctl console --follow` in the manager's host, of the first tick the dead primary had not released: it adds the follower's 300 ms poll, and 2 s more when its read had gone to the dead host just before the promotion. The standby's host sees the replication stream close at once and the manager promotes it; the cluster's own failure detection (about 6 s) is not waited for.");
        s.AppendLine("- With the manager: a fresh cluster per round, the VM on h1 (which holds the manager singleton) and its standby on h2; the time until h2's console, read through h2's API every 50 ms, shows it ticking. This is the Split Brain Resolver's downing of h1, the singleton's hand-over and the journal's recovery, then the promotion.");
        s.AppendLine("- Cold: the same guest unprotected; the time until the guest, booted again on the surviving host, printed TICK 1 (estimated from its first 20 ticks' arrivals), which waits for the downing of the lost host and for its VM processes' grace.");
        return s.ToString();
    }

    private static string Row(string what, List<double> seconds, string target)
    {
        var s = Spread.Of(seconds);
        return s.Count == 0 ? $"| {what} | 0 | - | - | - | {target} |" : Inv($"| {what} | {s.Count} | {Ms(s.Median)} | {Ms(s.Min)} | {Ms(s.Max)} | {target} |");
    }

    private static string Ms(double seconds) => seconds < 2 ? Inv($"{seconds * 1000:0} ms") : Inv($"{seconds:0.0} s");

    private static string Inv(FormattableString s) => s.ToString(CultureInfo.InvariantCulture);
}

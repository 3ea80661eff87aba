using System.Globalization;
using System.Text;
using Tern.Bench;

namespace Tern.EndToEnd.Tests.Cluster.Netns.Bench;

/// <summary>The cluster benchmark's measurements and its bench/RESULTS.md section.</summary>
public sealed class ClusterFigures
{
    public const string Heading = "## Cluster: failover and control-plane latency";

    private readonly List<(double Registry, double[] Guests)> _failovers = [];
    private double[] _ctl = [];
    private double[] _api = [];

    public void Failover(TimeSpan registry, IEnumerable<TimeSpan> guests) =>
        _failovers.Add((registry.TotalSeconds, guests.Select(g => g.TotalSeconds).ToArray()));

    public void Latency(double[] ctlMs, double[] apiMs) => (_ctl, _api) = (ctlMs, apiMs);

    public string Render(DateTime started, int rounds, int calls)
    {
        var all = Spread.Of(_failovers.Select(f => f.Guests.Max()));
        var registry = Spread.Of(_failovers.Select(f => f.Registry));
        var s = new StringBuilder();
        s.AppendLine(Inv($"Written by `bench/run.sh --cluster` ({rounds} rounds, {calls} calls) at {started:yyyy-MM-dd HH:mm} UTC, revision {Environment.GetEnvironmentVariable("TERN_BENCH_REVISION") ?? "unknown"}, on {Environment.ProcessorCount} cores."));
        s.AppendLine("Three `tern node` processes, each in its own network namespace on a test bridge, PostgreSQL journal on the bridge;");
        s.AppendLine("four VMs of 64 MiB, 1 vCPU (test kernel, `" + SoakGuest.Append + "`, a 1 MiB disk each).");
        s.AppendLine();
        s.AppendLine("### Failover: host with 4 VMs killed (SIGKILL) -> every guest ticking again on the survivors");
        s.AppendLine();
        s.AppendLine("| round | `ctl vms` shows all 4 running elsewhere (s) | each guest's first TICK again (s) | all 4 guests (s) |");
        s.AppendLine("|---|---|---|---|");
        foreach (var (f, i) in _failovers.Select((f, i) => (f, i + 1)))
            s.AppendLine(Inv($"| {i} | {f.Registry:0.0} | {string.Join(", ", f.Guests.Select(g => g.ToString("0.0", CultureInfo.InvariantCulture)))} | {f.Guests.Max():0.0} |"));
        s.AppendLine(Inv($"| **median** | **{registry.Median:0.0}** (min {registry.Min:0.0}, max {registry.Max:0.0}) | | **{all.Median:0.0}** (min {all.Min:0.0}, max {all.Max:0.0}) |"));
        s.AppendLine();
        s.AppendLine(Inv($"Proxmox VE HA, as published (not measured here): about 2-3 minutes from a node's failure to its services running elsewhere (fencing waits for the lost node's watchdog). Tern's median here: {all.Median:0.0} s. The issue's target is under 10 s."));
        s.AppendLine();
        s.AppendLine("### Control-plane latency, 4 VMs running (ms)");
        s.AppendLine();
        s.AppendLine("| what | median | p95 | min | max |");
        s.AppendLine("|---|---|---|---|---|");
        s.AppendLine(Row("`tern ctl vms` (whole process, inside h1's namespace)", _ctl));
        s.AppendLine(Row("GET /v1/vms (HTTP only, kept-alive connection)", _api));
        s.AppendLine();
        s.AppendLine("### Method and notes");
        s.AppendLine();
        s.AppendLine("- Failover: h1 (the manager's host) and h3 are drained while the four VMs are created, so all land on h2, then undrained; h2 is killed. \"First TICK again\" is when the restarted guest printed TICK 1, from `ctl console --follow` through h1: the earliest of (arrival of TICK n) - (n - 1) x 100 ms over its first 20 ticks, so the follower's polling adds at most about one poll (300 ms). Each restarted guest also passed its boot-time disk write and its first read-back and memory check.");
        s.AppendLine("- The `ctl vms` column is when a poll (a whole `tern ctl vms` run, about as slow as the latency table shows) first saw all four running elsewhere: it lags the guests by up to one call.");
        s.AppendLine("- The time is mostly the Split Brain Resolver's: 2 s acceptable heartbeat pause plus detection, then 3 s stable-after (hocon/cluster.conf), then placement and start.");
        s.AppendLine("- Drain time for 4 VMs of 1 GiB is not measured: draining a host with VMs needs live migration between cluster hosts, which is not built yet.");
        s.AppendLine("- Two cores for three .NET nodes and four guests that each spin a core while waiting for ticks: the figures include that contention.");
        return s.ToString();
    }

    private static string Row(string what, double[] ms)
    {
        var sorted = ms.Order().ToArray();
        double p95 = sorted.Length == 0 ? double.NaN : sorted[Math.Min(sorted.Length - 1, (int)Math.Ceiling(0.95 * sorted.Length) - 1)];
        var spread = Spread.Of(ms);
        return Inv($"| {what} | {spread.Median:0.0} | {p95:0.0} | {spread.Min:0.0} | {spread.Max:0.0} |");
    }

    private static string Inv(FormattableString text) => text.ToString(CultureInfo.InvariantCulture);
}

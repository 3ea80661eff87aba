using System.Diagnostics;
using Tern.Bench;
using Xunit.Abstractions;

namespace Tern.EndToEnd.Tests.Cluster.Netns.Bench;

/// <summary>
/// Failover time and control-plane latency on three namespaced hosts (issue 5's benchmark). Each
/// round puts four soak VMs on h2 (h1 and h3 drained while they are created, then undrained),
/// kills h2 with SIGKILL and times until every guest ticks again on h1 or h3, then clears the VMs
/// and brings h2 back for the next round. With the four VMs running, <c>tern ctl vms</c> is timed
/// as an operator runs it, and GET /v1/vms alone.
/// </summary>
public sealed class ClusterBenchmark(ITestOutputHelper output)
{
    private static readonly TimeSpan VmTimeout = TimeSpan.FromSeconds(90);

    [ClusterBenchmarkFact]
    public void Failover_and_control_plane_latency()
    {
        int rounds = int.TryParse(Environment.GetEnvironmentVariable("TERN_CLUSTER_BENCH_ROUNDS"), out var r) ? r : 3;
        int calls = int.TryParse(Environment.GetEnvironmentVariable("TERN_CLUSTER_BENCH_CALLS"), out var c) ? c : 50;
        var started = DateTime.UtcNow;
        using var cluster = new NetnsCluster(3);
        var (h1, h2, h3) = (cluster[1], cluster[2], cluster[3]);
        var figures = new ClusterFigures();

        for (int round = 1; round <= rounds; round++)
        {
            var guests = PlaceFourOn(cluster, round);
            try
            {
                if (round == 1) figures.Latency(MeasureCtl(h1, calls), MeasureApi(h1, calls));
                var killedAt = DateTime.UtcNow;
                h2.Kill();
                NetnsCluster.WaitFor(() => NetnsCluster.Vms(h1), v => guests.All(g => v[g.Name] is { State: "running" } x && x.Host != "h2"), VmTimeout, "all four running elsewhere", pollMs: 50);
                var registry = DateTime.UtcNow - killedAt;
                var guestsBack = guests.Select(g => g.WaitHealthy(1, VmTimeout) - killedAt).ToArray();
                figures.Failover(registry, guestsBack);
                output.WriteLine($"round {round}: registry {registry.TotalSeconds:0.0} s, guests {string.Join(" ", guestsBack.Select(t => t.TotalSeconds.ToString("0.0")))} s");
                foreach (var g in guests) Assert.True(h1.Ctl("stop", g.Name).ExitCode == 0);
                NetnsCluster.WaitFor(() => NetnsCluster.Vms(h1), v => v.Values.All(x => x.State == "stopped"), VmTimeout, "all stopped");
                foreach (var g in guests) Assert.True(h1.Ctl("delete", g.Name).ExitCode == 0);
            }
            finally
            {
                foreach (var g in guests) g.Dispose();
            }
            h2.Restart();
            NetnsCluster.WaitFor(() => NetnsCluster.Hosts(h1), h => h.Count == 3 && h.Values.All(s => s == "up"), VmTimeout, "h2 up again");
        }
        string section = figures.Render(started, rounds, calls);
        ResultsFile.ReplaceSection(Environment.GetEnvironmentVariable(ClusterBenchmarkFactAttribute.ResultsVariable)!, ClusterFigures.Heading, section);
        output.WriteLine(section);
    }

    /// <summary>Four soak VMs created while h1 and h3 are drained, so all land on h2; healthy before the kill.</summary>
    private static SoakGuest[] PlaceFourOn(NetnsCluster cluster, int round)
    {
        var h1 = cluster[1];
        foreach (var other in new[] { "h1", "h3" }) Assert.Equal(0, h1.Ctl("drain", other).ExitCode);
        var guests = Enumerable.Range(1, 4).Select(i => SoakGuest.Create(cluster, h1, $"r{round}v{i}")).ToArray();
        foreach (var other in new[] { "h1", "h3" }) Assert.Equal(0, h1.Ctl("undrain", other).ExitCode);
        var placed = NetnsCluster.WaitFor(() => NetnsCluster.Vms(h1), v => guests.All(g => v[g.Name].State == "running"), VmTimeout, "four VMs running");
        Assert.All(guests, g => Assert.Equal("h2", placed[g.Name].Host));
        foreach (var g in guests) g.WaitHealthy(0, VmTimeout);
        return guests;
    }

    /// <summary>Wall time of whole <c>tern ctl vms</c> runs inside h1's namespace (process start included).</summary>
    private static double[] MeasureCtl(NamespacedNode node, int calls) =>
        Enumerable.Range(0, calls).Select(_ =>
        {
            var clock = Stopwatch.StartNew();
            Assert.Equal(0, node.Ctl("vms").ExitCode);
            return clock.Elapsed.TotalMilliseconds;
        }).ToArray();

    /// <summary>GET /v1/vms alone, over the bridge from the root namespace (one kept-alive connection).</summary>
    private static double[] MeasureApi(NamespacedNode node, int calls)
    {
        using var http = new HttpClient();
        return Enumerable.Range(0, calls).Select(_ =>
        {
            var clock = Stopwatch.StartNew();
            using var reply = http.GetAsync(node.Api + "/v1/vms").Result;
            Assert.True(reply.IsSuccessStatusCode);
            return clock.Elapsed.TotalMilliseconds;
        }).ToArray();
    }
}

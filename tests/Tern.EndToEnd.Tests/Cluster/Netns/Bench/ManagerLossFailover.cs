using Xunit.Abstractions;

namespace Tern.EndToEnd.Tests.Cluster.Netns.Bench;

/// <summary>
/// Issue 19's failover cases beside the ordinary one: a whole host killed (SIGKILL of every process
/// in its namespace) when it holds the cluster manager, with three hosts, and with two hosts under
/// the lease, the other host and the manager's. Each round builds its own cluster, so h1 (which
/// started it) holds the manager; four soak VMs of 64 MiB gather on the victim and are followed
/// from the survivor, and the time is until every guest ticks again (TICK 1, as for the ordinary
/// failover).
/// </summary>
public static class ManagerLossFailover
{
    private static readonly TimeSpan VmTimeout = TimeSpan.FromSeconds(90);

    /// <summary>Three hosts; the four VMs on h1, the manager's host, which dies.</summary>
    public static TimeSpan ThreeHostsManagerDies(int round, ITestOutputHelper output)
    {
        using var cluster = new NetnsCluster(3);
        return KillAndTime(cluster, victim: cluster[1], via: cluster[2], $"m{round}v", output);
    }

    /// <summary>Two hosts under the lease: the four VMs on h2, which dies; then (h2 back) on h1, the manager's host, which dies.</summary>
    public static (TimeSpan Other, TimeSpan Manager) TwoHosts(int round, ITestOutputHelper output)
    {
        using var cluster = new NetnsCluster(2);
        var (h1, h2) = (cluster[1], cluster[2]);
        var other = KillAndTime(cluster, victim: h2, via: h1, $"t{round}o", output);
        h2.Restart();
        NetnsCluster.WaitFor(() => NetnsCluster.Hosts(h1), h => h.Values.All(s => s == "up"), VmTimeout, "h2 up again");
        var manager = KillAndTime(cluster, victim: h1, via: h2, $"t{round}m", output);
        return (other, manager);
    }

    private static TimeSpan KillAndTime(NetnsCluster cluster, NamespacedNode victim, NamespacedNode via, string prefix, ITestOutputHelper output)
    {
        var guests = SoakGuest.CreateAllOn(cluster, victim, Enumerable.Range(1, 4).Select(i => $"{prefix}{i}"), VmTimeout, via: via);
        try
        {
            var killedAt = DateTime.UtcNow;
            victim.KillWhole();
            var back = guests.Select(g => g.WaitHealthy(1, VmTimeout) - killedAt).ToArray();
            output.WriteLine($"{cluster.Nodes.Count} hosts, {victim.Name} killed: guests ticking again after {string.Join(" ", back.Select(t => t.TotalSeconds.ToString("0.0")))} s");
            var after = NetnsCluster.Vms(via);
            Assert.All(guests, g => Assert.True(after[g.Name] is { State: "running" } x && x.Host != victim.Name, $"{g.Name}: {after[g.Name]}"));
            ClusterBenchmark.Remove(via, guests);
            return back.Max();
        }
        finally
        {
            foreach (var g in guests) g.Dispose();
        }
    }
}

using Xunit.Abstractions;

namespace Tern.EndToEnd.Tests.Cluster.Netns;

/// <summary>
/// Three real hosts, each a <c>tern node</c> in its own network namespace on a bridge, sharing a
/// PostgreSQL journal (issue 5, acceptance 1, 3, 4 and 6). h1 starts the cluster and so hosts the
/// manager singleton. Guests run the soak mode with a disk log, so a restarted guest proves its
/// disk intact by its own boot-time write and read-backs.
/// </summary>
public sealed class ThreeHostFailoverTests(ITestOutputHelper output)
{
    private static readonly TimeSpan VmTimeout = TimeSpan.FromSeconds(60);

    /// <summary>The bound asserted for SIGKILL -> every VM's guest ticking again elsewhere. The SBR
    /// settings imply about 5-6 s to down the host (2 s heartbeat pause, detection, 3 s stable-after),
    /// then placement, boot and the follower's 300 ms poll; a loaded 2-core machine needs headroom.</summary>
    public static readonly TimeSpan FailoverBound = TimeSpan.FromSeconds(15);

    [NetnsFact]
    public void Three_hosts_spread_four_vms_and_a_killed_host_s_guests_tick_again_on_the_survivors_with_their_disks_intact()
    {
        using var cluster = new NetnsCluster(3);
        var h1 = cluster[1];
        Assert.Equal(["h1", "h2", "h3"], NetnsCluster.Hosts(h1).Keys.Order());
        Assert.All(NetnsCluster.Hosts(cluster[3]).Values, s => Assert.Equal("up", s));

        var guests = new[] { "a", "b", "c", "d" }.Select(n => SoakGuest.Create(cluster, h1, n)).ToArray();
        try
        {
            var placement = NetnsCluster.WaitFor(() => NetnsCluster.Vms(h1), v => v.Count == 4 && v.Values.All(x => x.State == "running"), VmTimeout, "four VMs running");
            Assert.Equal(["h1", "h2", "h3"], placement.Values.Select(p => p.Host).Distinct().Order());
            foreach (var g in guests) g.WaitHealthy(0, VmTimeout);

            // Kill the non-manager host with the most VMs.
            var victim = cluster.Node(placement.Values.Where(p => p.Host != "h1").GroupBy(p => p.Host!).OrderByDescending(g => g.Count()).First().Key);
            var moved = guests.Where(g => placement[g.Name].Host == victim.Name).ToArray();
            var killedAt = DateTime.UtcNow;
            victim.Kill();

            var back = moved.ToDictionary(g => g.Name, g => g.WaitHealthy(1, VmTimeout) - killedAt);
            var failover = back.Values.Max();
            output.WriteLine($"SIGKILL {victim.Name} -> its {moved.Length} VMs' guests ticking again: {string.Join(", ", back.Select(b => $"{b.Key} {b.Value.TotalSeconds:0.0} s"))}");
            var after = NetnsCluster.Vms(h1);
            Assert.All(moved, g => Assert.NotEqual(victim.Name, after[g.Name].Host));
            Assert.Equal("down", NetnsCluster.Hosts(h1)[victim.Name]);
            Assert.True(failover < FailoverBound, $"failover took {failover.TotalSeconds:0.0} s (bound {FailoverBound.TotalSeconds} s)");
            // The others never stopped: still their first instance.
            Assert.All(guests.Except(moved), g => Assert.Empty(g.Incarnation(1)));
        }
        finally
        {
            foreach (var g in guests) g.Dispose();
        }
    }
}

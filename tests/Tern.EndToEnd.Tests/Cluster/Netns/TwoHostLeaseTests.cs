using System.Text.Json;
using Tern.EndToEnd.Tests.Support;
using Xunit.Abstractions;

namespace Tern.EndToEnd.Tests.Cluster.Netns;

/// <summary>
/// Fencing by lease (issue 19, acceptance 4): two real hosts with the PostgreSQL journal, so the
/// Split Brain Resolver runs lease-majority and each host holds its own lease. Either host may
/// die and the other runs every VM; a cut link leaves the VMs on exactly one side; a host that
/// cannot reach the database ends its VMs before its lease expires.
/// </summary>
// Alone: the bounds are on failover time, and the disk checks on when a fenced host let go.
[Collection(AloneCollection.Name)]
public sealed class TwoHostLeaseTests(ITestOutputHelper output)
{
    private static readonly TimeSpan VmTimeout = TimeSpan.FromSeconds(60);
    private static readonly string[] Names = ["a", "b"];

    [NetnsFact]
    public void Either_of_two_hosts_may_die_again_and_again_and_the_survivor_runs_every_vm()
    {
        using var cluster = new NetnsCluster(2);
        var (h1, h2) = (cluster[1], cluster[2]);
        var guests = Names.Select(n => SoakGuest.Create(cluster, h1, n)).ToArray();
        try
        {
            NetnsCluster.WaitFor(() => NetnsCluster.Vms(h1), v => v.Count == 2 && v.Values.All(x => x.State == "running"), VmTimeout, "two VMs running");
            foreach (var g in guests) g.WaitHealthy(0, VmTimeout);
        }
        finally
        {
            foreach (var g in guests) g.Dispose();
        }

        // The manager's host first (the survivor is the one keep-majority would have downed), then the other, then the first again.
        foreach (var (victim, survivor) in new[] { (h1, h2), (h2, h1), (h1, h2) })
            try
            {
                KillAndFailOver(victim, survivor);
            }
            catch
            {
                output.WriteLine(cluster.Describe());
                throw;
            }
        // Every restart was a new incarnation on the survivor; nothing runs twice.
        Assert.All(NetnsCluster.Vms(h2).Values, v => Assert.Equal("running", v.State));
    }

    private void KillAndFailOver(NamespacedNode victim, NamespacedNode survivor)
    {
        {
            var before = Instances(survivor);
            var moved = Names.Where(n => before[n].Host == victim.Name).ToArray();
            var killedAt = DateTime.UtcNow;
            victim.KillWhole();
            var back = moved.ToDictionary(n => n, n => WaitTickingAfresh(survivor, n, before[n].Incarnation) - killedAt);
            output.WriteLine($"SIGKILL of {victim.Name} -> its guests ticking on {survivor.Name}: {string.Join(", ", back.Select(b => $"{b.Key} {b.Value.TotalSeconds:0.0} s"))}");
            output.WriteLine(string.Join("\n", survivor.Ctl("events").Stdout.TakeLast(10)));
            // The survivor's own VMs went on as they were.
            var after = Instances(survivor);
            Assert.All(Names.Except(moved), n => Assert.Equal(before[n], after[n]));
            Assert.True(back.Values.DefaultIfEmpty().Max() < ThreeHostFailoverTests.FailoverBound,
                $"failover to {survivor.Name} took {back.Values.DefaultIfEmpty().Max().TotalSeconds:0.0} s (bound {ThreeHostFailoverTests.FailoverBound.TotalSeconds} s)");
            Assert.Equal("down", NetnsCluster.Hosts(survivor)[victim.Name]);

            victim.RestartJoining(survivor);
            NetnsCluster.WaitFor(() => NetnsCluster.Hosts(survivor), h => h.Values.All(s => s == "up"), VmTimeout, $"{victim.Name} up again");
        }
    }

    [NetnsFact]
    public void A_cut_link_between_two_hosts_leaves_the_vms_running_on_exactly_one_side()
    {
        using var cluster = new NetnsCluster(2);
        var (h1, h2) = (cluster[1], cluster[2]);
        var guests = new[] { "a", "b" }.Select(n => SoakGuest.Create(cluster, h1, n)).ToArray();
        try
        {
            var placement = NetnsCluster.WaitFor(() => NetnsCluster.Vms(h1), v => v.Count == 2 && v.Values.All(x => x.State == "running"), VmTimeout, "two VMs running");
            foreach (var g in guests) g.WaitHealthy(0, VmTimeout);
            using var holders = new DiskHolderWatch(cluster, guests.Select(g => g.Disk));
            NetnsCluster.WaitFor(() => guests.All(g => holders.Held(g.Disk, placement[g.Name].Host!) is not null), ok => ok, VmTimeout, "disks seen held");

            // h2's link goes down: it reaches neither h1 nor the database, so h1 takes the Split
            // Brain Resolver's lease and h2's own lease lapses.
            var cutAt = DateTime.UtcNow;
            cluster.Network.CutOff(2);
            var onH2 = guests.Where(g => placement[g.Name].Host == "h2").ToArray();
            foreach (var g in onH2)
            {
                var back = WaitTickingAfresh(h1, g.Name, -1) - cutAt;
                output.WriteLine($"{g.Name}: on h1 {back.TotalSeconds:0.0} s after the cut");
            }
            Assert.True(holders.Overlap is null, holders.Overlap);
            foreach (var g in onH2)
            {
                var (_, released) = holders.Held(g.Disk, "h2")!.Value;
                var (opened, _) = holders.Held(g.Disk, "h1")!.Value;
                output.WriteLine($"{g.Name}: h2 let go of its disk {(released - cutAt).TotalSeconds:0.0} s after the cut, h1 opened it at {(opened - cutAt).TotalSeconds:0.0} s");
                Assert.True(released < opened, $"{g.Name}: h2 last held the disk at {released:HH:mm:ss.fff}, h1 opened it at {opened:HH:mm:ss.fff}");
            }
            Assert.Matches("lease (lapsed|was not renewed in time)", h2.Process.Describe());
            Assert.All(NetnsCluster.Vms(h1), v => Assert.Equal(("h1", "running"), v.Value));

            // Back on the network, h2 learns that h1 downed it and ends itself; started again, it
            // joins and runs none of the VMs that moved.
            cluster.Network.Reconnect(2);
            try
            {
                NetnsCluster.WaitFor(() => h2.Process.HasExited, exited => exited, VmTimeout, "h2 ending itself once downed");
            }
            catch
            {
                output.WriteLine(cluster.Describe());
                throw;
            }
            var restartedAt = DateTime.UtcNow;
            h2.Restart();
            NetnsCluster.WaitFor(() => NetnsCluster.Hosts(h1), h => h.Values.All(s => s == "up"), VmTimeout, "h2 up again");
            Thread.Sleep(2000);
            Assert.All(onH2, g => Assert.True(holders.Held(g.Disk, "h2")!.Value.Last < restartedAt, $"h2 opened {g.Name}'s disk again"));
            // The winner kept its own lease throughout: the loser never took over (two managers, one journal).
            Assert.DoesNotContain("lease was revoked", h1.Process.Describe());
            Assert.All(NetnsCluster.Vms(h1).Values, v => Assert.Equal("running", v.State));
            Assert.True(holders.Overlap is null, holders.Overlap);
        }
        finally
        {
            foreach (var g in guests) g.Dispose();
        }
    }

    [NetnsFact]
    public void A_host_that_cannot_reach_the_database_ends_its_vms_before_its_lease_expires_and_runs_them_again_once_it_can()
    {
        using var cluster = new NetnsCluster(2);
        var (h1, h2) = (cluster[1], cluster[2]);
        var guests = SoakGuest.CreateAllOn(cluster, h2, ["a"], VmTimeout);
        try
        {
            using var holders = new DiskHolderWatch(cluster, guests.Select(g => g.Disk));
            NetnsCluster.WaitFor(() => holders.Held(guests[0].Disk, "h2") is not null, ok => ok, VmTimeout, "a's disk seen held");

            var blockedAt = DateTime.UtcNow;
            cluster.Network.Block(2, cluster.Network.BridgeAddress);
            NetnsCluster.WaitFor(() => holders.Held(guests[0].Disk, "h2")!.Value.Last, last => DateTime.UtcNow - last > TimeSpan.FromSeconds(1),
                VmTimeout, "h2 letting go of a's disk");
            var released = holders.Held(guests[0].Disk, "h2")!.Value.Last;
            // The database wrote h2's expiry; it runs on this machine, so its clock is the watch's.
            var expires = DateTime.Parse(cluster.Postgres.Query("SELECT to_char(expires_at AT TIME ZONE 'UTC', 'YYYY-MM-DD\"T\"HH24:MI:SS.MS\"Z\"') FROM tern_leases WHERE name = 'host/h2'"),
                null, System.Globalization.DateTimeStyles.AdjustToUniversal);
            output.WriteLine($"database blocked at {blockedAt:HH:mm:ss.fff}; h2 last held a's disk at {released:HH:mm:ss.fff}, its lease expired at {expires:HH:mm:ss.fff}");
            Assert.True(released < expires, $"h2 held the disk until {released:HH:mm:ss.fff}, after its lease expired at {expires:HH:mm:ss.fff}");
            Assert.Matches("lease (lapsed|was not renewed in time)", h2.Process.Describe());
            Assert.False(h2.Process.HasExited, "h2 ended itself; it should only have ended its VMs");

            // The database back: the VM runs again (a new instance, on whichever host has room).
            cluster.Network.Unblock(2, cluster.Network.BridgeAddress);
            DateTime ticking;
            try
            {
                ticking = WaitTickingAfresh(h1, "a", 0, anyHost: true);
            }
            catch (TimeoutException e)
            {
                throw new TimeoutException($"{e.Message}\n{string.Join("\n", h1.Ctl("events").Stdout.TakeLast(30))}\n{cluster.Describe()}", e);
            }
            var back = ticking - blockedAt;
            output.WriteLine($"a ticking again {back.TotalSeconds:0.0} s after the database was blocked");
            Assert.True(holders.Overlap is null, holders.Overlap);
        }
        finally
        {
            foreach (var g in guests) g.Dispose();
        }
    }

    private static Dictionary<string, (string? Host, long Incarnation)> Instances(NamespacedNode via) =>
        via.CtlJson("vms").EnumerateArray().ToDictionary(v => v.GetProperty("name").GetString()!,
            v => (v.GetProperty("host").ValueKind == JsonValueKind.String ? v.GetProperty("host").GetString() : null, v.GetProperty("incarnation").GetInt64()));

    /// <summary>
    /// Waits until VM <paramref name="name"/> runs on <paramref name="via"/>'s host (or any, with
    /// <paramref name="anyHost"/>) as an incarnation after <paramref name="before"/>, booted afresh
    /// with its disk checked and three ticks; returns when that was first seen.
    /// </summary>
    private static DateTime WaitTickingAfresh(NamespacedNode via, string name, long before, bool anyHost = false)
    {
        var lines = NetnsCluster.WaitFor(() =>
            {
                var vm = via.CtlJson("vms").EnumerateArray().Single(v => v.GetProperty("name").GetString() == name);
                bool placed = vm.GetProperty("state").GetString() == "running" && vm.GetProperty("incarnation").GetInt64() > before
                    && (anyHost || vm.GetProperty("host").GetString() == via.Name);
                return placed ? via.ConsoleLines(name) : [];
            },
            l => l.Contains("SOAK blk before=ok") && TestKernel.Ticks(l).Count >= 3, VmTimeout, $"{name} ticking afresh (after incarnation {before})");
        var seen = DateTime.UtcNow;
        Assert.True(!lines.Any(l => l.Contains(" BAD", StringComparison.Ordinal)), $"{name}:\n{string.Join("\n", lines)}");
        Assert.Single(lines, l => l.StartsWith("SOAK filled", StringComparison.Ordinal));
        // Three ticks of 100 ms were printed before it was seen.
        return seen - TimeSpan.FromMilliseconds(300);
    }
}

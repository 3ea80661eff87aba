using Tern.EndToEnd.Tests.Support;
using Xunit.Abstractions;

namespace Tern.EndToEnd.Tests.Cluster.Netns;

/// <summary>
/// Three real hosts, each a <c>tern node</c> in its own network namespace on a bridge, sharing a
/// PostgreSQL journal (issue 5, acceptance 1, 3, 4 and 6). h1 starts the cluster and so hosts the
/// manager singleton. Guests run the soak mode with a disk log, so a restarted guest proves its
/// disk intact by its own boot-time write and read-backs.
/// </summary>
// Alone: its bounds are on failover time, and its cut-off test on when the cut host let go of its
// disks (with the PostgreSQL journal, fencing is by lease: the cut host's VM processes quit at their
// lease deadline, before the majority may restart them).
[Collection(AloneCollection.Name)]
public sealed class ThreeHostFailoverTests(ITestOutputHelper output)
{
    private static readonly TimeSpan VmTimeout = TimeSpan.FromSeconds(60);

    /// <summary>The bound asserted for SIGKILL -> every VM's guest ticking again elsewhere. The SBR
    /// settings imply about 5-6 s to down the host (2 s heartbeat pause, detection, 3 s stable-after),
    /// then placement and boot: 7-8 s measured here for one VM (bench/RESULTS.md: four VMs). A loaded
    /// 2-core machine needs headroom, so the bound is above the issue's 10 s target.</summary>
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
            output.WriteLine($"killed at {killedAt:HH:mm:ss.fff}; the manager's events:\n{string.Join("\n", h1.Ctl("events").Stdout.TakeLast(12))}");
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

    [NetnsFact]
    public void A_host_cut_off_stops_its_vms_before_the_majority_restarts_them_and_rejoins_without_stale_vms()
    {
        using var cluster = new NetnsCluster(3);
        var h1 = cluster[1];
        var guests = new[] { "a", "b", "c" }.Select(n => SoakGuest.Create(cluster, h1, n)).ToArray();
        try
        {
            var placement = NetnsCluster.WaitFor(() => NetnsCluster.Vms(h1), v => v.Count == 3 && v.Values.All(x => x.State == "running"), VmTimeout, "three VMs running");
            foreach (var g in guests) g.WaitHealthy(0, VmTimeout);
            var cut = cluster[3];
            var moved = guests.Where(g => placement[g.Name].Host == cut.Name).ToArray();
            Assert.NotEmpty(moved);
            using var holders = new DiskHolderWatch(cluster, guests.Select(g => g.Disk));
            NetnsCluster.WaitFor(() => moved.All(g => holders.Held(g.Disk, cut.Name) is not null), ok => ok, VmTimeout, $"{cut.Name} seen holding its disks");

            var cutAt = DateTime.UtcNow;
            cluster.Network.CutOff(3);
            var back = moved.ToDictionary(g => g.Name, g => g.WaitHealthy(1, VmTimeout) - cutAt);
            output.WriteLine($"link of {cut.Name} down -> its VMs' guests ticking again on the majority: {string.Join(", ", back.Select(b => $"{b.Key} {b.Value.TotalSeconds:0.0} s"))}");
            Assert.True(back.Values.Max() < FailoverBound, $"restart after the cut took {back.Values.Max().TotalSeconds:0.0} s (bound {FailoverBound.TotalSeconds} s)");

            // One writer at a time: the cut host let go of each disk before a survivor opened it.
            Assert.True(holders.Overlap is null, holders.Overlap);
            var after = NetnsCluster.Vms(h1);
            foreach (var g in moved)
            {
                string now = after[g.Name].Host!;
                Assert.NotEqual(cut.Name, now);
                var (_, released) = holders.Held(g.Disk, cut.Name)!.Value;
                var (opened, _) = holders.Held(g.Disk, now)!.Value;
                output.WriteLine($"{g.Name}: {cut.Name} let go of its disk {(released - cutAt).TotalSeconds:0.0} s after the cut, {now} opened it at {(opened - cutAt).TotalSeconds:0.0} s");
                Assert.True(released < opened, $"{g.Name}: {cut.Name} last held the disk at {released:HH:mm:ss.fff}, {now} opened it at {opened:HH:mm:ss.fff}");
            }
            Assert.Matches("lease (lapsed|was not renewed in time)", cut.Process.Describe());

            // Back on the network: the cut host (downed by the majority, so it ended itself) starts
            // again under its name, joins, and runs none of the VMs that moved.
            cluster.Network.Reconnect(3);
            try
            {
                NetnsCluster.WaitFor(() => cut.Process.HasExited, exited => exited, VmTimeout, $"{cut.Name} ending itself once downed");
            }
            catch (TimeoutException e)
            {
                throw new TimeoutException($"{e.Message}\n{cluster.Describe()}", e);
            }
            var restartedAt = DateTime.UtcNow;
            cut.Restart();
            NetnsCluster.WaitFor(() => NetnsCluster.Hosts(h1), h => h.Values.All(s => s == "up"), VmTimeout, $"{cut.Name} up again");
            Thread.Sleep(2000); // time for a stale VM to show up, if one were to
            Assert.All(NetnsCluster.Vms(h1).Values, v => Assert.Equal("running", v.State));
            Assert.All(moved, g => Assert.True(holders.Held(g.Disk, cut.Name)!.Value.Last < restartedAt, $"{cut.Name} opened {g.Name}'s disk again"));
            Assert.All(moved, g => Assert.Empty(g.Incarnation(2)));
            Assert.True(holders.Overlap is null, holders.Overlap);
        }
        finally
        {
            foreach (var g in guests) g.Dispose();
        }
    }

    [NetnsFact]
    public void The_manager_s_host_killed_the_manager_comes_back_elsewhere_with_the_same_registry_and_no_half_done_operation()
    {
        using var cluster = new NetnsCluster(3);
        var (h1, h2) = (cluster[1], cluster[2]);
        var guests = new[] { "a", "b" }.Select(n => SoakGuest.Create(cluster, h2, n)).ToArray();
        try
        {
            NetnsCluster.WaitFor(() => NetnsCluster.Vms(h2), v => v.Count == 2 && v.Values.All(x => x.State == "running"), VmTimeout, "two VMs running");
            foreach (var g in guests) g.WaitHealthy(0, VmTimeout);
            Assert.Equal(0, h2.Ctl("stop", "b").ExitCode);
            var before = NetnsCluster.Vms(h2);

            // A create under way when the manager's host dies.
            string disk = cluster.NewDisk("e");
            using var create = h2.Start([.. h2.CtlPrefix, "create", "e", "--kernel", Support.Repo.TestKernel, "--append", SoakGuest.Append,
                "--memory", "64M", "--smp", "1", "--disk", disk + ",rw"]);
            Thread.Sleep(100);
            var killedAt = DateTime.UtcNow;
            h1.Kill();
            int created = create.WaitForExit(VmTimeout);
            output.WriteLine($"create under way at the kill: exit {created}: {string.Join(" ", create.Stdout)} {create.Stderr.Trim()}");

            var after = NetnsCluster.WaitFor(() => NetnsCluster.Vms(h2), v => v.Values.All(x => x.State is "running" or "stopped") && NetnsCluster.Hosts(h2)["h1"] == "down",
                VmTimeout, "the manager back with every VM settled");
            var settled = DateTime.UtcNow - killedAt;
            output.WriteLine($"SIGKILL h1 (manager) -> registry answering and settled: {settled.TotalSeconds:0.0} s");
            // Downing (about 6 s), the singleton's hand-over and recovery from the journal, and a's restart: 14-17 s measured here.
            Assert.True(settled < TimeSpan.FromSeconds(30), $"the manager took {settled.TotalSeconds:0.0} s to come back settled");
            Assert.Equal("stopped", after["b"].State);
            Assert.Equal("running", after["a"].State);
            Assert.NotEqual("h1", after["a"].Host);
            foreach (var name in before.Keys) Assert.Contains(name, after.Keys);
            // The create completed (e runs) or never happened (no e); it is acknowledged only if it completed.
            if (after.TryGetValue("e", out var e)) Assert.Equal("running", e.State);
            else Assert.NotEqual(0, created);
            Assert.Equal(before.Keys.Count + (after.ContainsKey("e") ? 1 : 0), after.Count);
            // And it stays decided: no create held in a proxy's buffer turns up late.
            Thread.Sleep(3000);
            Assert.Equal(after.Keys.Order(), NetnsCluster.Vms(h2).Keys.Order());
        }
        finally
        {
            foreach (var g in guests) g.Dispose();
        }
    }
}

using Tern.EndToEnd.Tests.Support;
using Xunit.Abstractions;

namespace Tern.EndToEnd.Tests.Cluster.Netns;

/// <summary>
/// Faults in the middle of a live migration between hosts in their own network namespaces
/// (issue 5, "bad input and faults"): the target's link cut, the source's link cut, and the
/// manager singleton's host killed. Migrations are capped at 1.5 MB/s so the first pass of the
/// 64 MiB soak guest (about 18 MB of data) takes some 12 s: the fault, struck once 2 MB have gone,
/// lands with about 10 s of stream left. At 4 MB/s a run with a CPU hog on one core once saw the
/// progress late and cut the link at the commit. Each time no VM is lost, none runs twice, and the registry
/// agrees with where the guest runs.
/// </summary>
// Alone: the migrations' timing is set against a quiet machine (the fault must land mid-stream).
[Collection(AloneCollection.Name)]
public sealed class MidMigrationFaultTests(ITestOutputHelper output)
{
    private static readonly TimeSpan VmTimeout = TimeSpan.FromSeconds(60);

    private const string SlowMigrations = """
        tern.cluster.manager.migration.max-bandwidth = 1500000
        tern.cluster.manager.migration.completion-timeout-per-gib = 600s
        """;

    [NetnsFact]
    public void The_target_s_link_cut_mid_migration_leaves_the_guest_running_on_its_source()
    {
        using var cluster = new NetnsCluster(3, SlowMigrations);
        var h1 = cluster[1];
        using var guest = SoakGuestOn(cluster, h1, "h2");
        try
        {
            using var migrate = StartMigration(h1, guest.Name, "h3");
            MigrationWatch.WaitSending(h1.Http(TimeSpan.FromSeconds(10)), guest.Name, "h3", 2_000_000, VmTimeout);
            cluster.Network.CutOff(3);
            AssertMigrateFailed(migrate, h1, cluster);
            output.WriteLine($"target cut: {migrate.Stderr.Trim()}");

            var vms = NetnsCluster.WaitFor(() => NetnsCluster.Vms(h1), v => NetnsCluster.Hosts(h1)["h3"] == "down" && v[guest.Name] == ("h2", "running"),
                VmTimeout, "h3 down and the guest running on h2");
            output.WriteLine(string.Join("\n", h1.Ctl("events").Stdout.TakeLast(10)));
            // The first instance went on through it all: no restart, no gap, every check ok.
            WaitTicking(guest, 0, 20);
            Assert.Empty(guest.Incarnation(1));
            TestKernel.AssertTicksContinue(guest.Incarnation(0).Select(l => l.Line).ToArray(), $"{guest.Name} on h2");
            // Cut off from the database too, h3 could not keep its lease (fencing by lease, PostgreSQL journal).
            Assert.Contains("renewing the lease of host h3 failed", cluster[3].Process.Describe());
        }
        catch (Exception e) when (e is not Xunit.Sdk.XunitException)
        {
            throw new InvalidOperationException($"{e.Message}\n{cluster.Describe()}\n{guest.Describe()}", e);
        }
    }

    [NetnsFact]
    public void The_source_s_link_cut_mid_migration_stops_the_guest_there_before_the_majority_restarts_it()
    {
        using var cluster = new NetnsCluster(3, SlowMigrations);
        var h1 = cluster[1];
        using var guest = SoakGuestOn(cluster, h1, "h2");
        try
        {
            using var holders = new DiskHolderWatch(cluster, [guest.Disk]);
            NetnsCluster.WaitFor(() => holders.Held(guest.Disk, "h2") is not null, held => held, VmTimeout, "h2 seen holding the disk");
            using var migrate = StartMigration(h1, guest.Name, "h3");
            MigrationWatch.WaitSending(h1.Http(TimeSpan.FromSeconds(10)), guest.Name, "h3", 2_000_000, VmTimeout);
            var cutAt = DateTime.UtcNow;
            cluster.Network.CutOff(2);
            AssertMigrateFailed(migrate, h1, cluster);
            output.WriteLine($"source cut: {migrate.Stderr.Trim()}");

            // The source ends its guest (it cannot reach the manager, so no commit ever let the
            // target resume); the majority restarts the VM from its definition, its disk intact.
            var back = guest.WaitHealthy(1, VmTimeout) - cutAt;
            var vms = NetnsCluster.WaitFor(() => NetnsCluster.Vms(h1), v => v[guest.Name].State == "running" && NetnsCluster.Hosts(h1)["h2"] == "down",
                VmTimeout, "the guest running again and h2 down");
            string now = vms[guest.Name].Host!;
            output.WriteLine($"source cut -> guest ticking again on {now} after {back.TotalSeconds:0.0} s");
            Assert.NotEqual("h2", now);
            Assert.Matches("lease (lapsed|was not renewed in time)", cluster[2].Process.Describe());
            var (_, released) = holders.Held(guest.Disk, "h2")!.Value;
            // Only the new instance can have opened the disk after the cut on its host (an incoming one opened it earlier).
            var opened = holders.OpenedSince(guest.Disk, now, cutAt);
            Assert.True(opened is { } o && released < o,
                $"h2 last held the disk at {released:HH:mm:ss.fff}, {now} opened it at {opened:HH:mm:ss.fff} (cut at {cutAt:HH:mm:ss.fff})\n{cluster.Describe()}");
            Thread.Sleep(2000);
            Assert.Empty(guest.Incarnation(2));
        }
        catch (Exception e) when (e is not Xunit.Sdk.XunitException)
        {
            throw new InvalidOperationException($"{e.Message}\n{cluster.Describe()}\n{guest.Describe()}", e);
        }
    }

    [NetnsFact]
    public void The_manager_s_host_killed_mid_migration_the_migration_completes_or_rolls_back_and_the_guest_runs_once()
    {
        using var cluster = new NetnsCluster(3, SlowMigrations);
        var (h1, h2) = (cluster[1], cluster[2]);
        using var guest = SoakGuestOn(cluster, h2, "h2");
        try
        {
            using var migrate = StartMigration(h2, guest.Name, "h3");
            MigrationWatch.WaitSending(h2.Http(TimeSpan.FromSeconds(10)), guest.Name, "h3", 2_000_000, VmTimeout);
            h1.Kill();
            int exit = migrate.WaitForExit(TimeSpan.FromSeconds(120));
            output.WriteLine($"manager killed: ctl migrate exit {exit}: {string.Join(" ", migrate.Stdout.TakeLast(1))} {migrate.Stderr.Trim()}");

            var vms = NetnsCluster.WaitFor(() => NetnsCluster.Vms(h2), v => NetnsCluster.Hosts(h2)["h1"] == "down" && v[guest.Name].State == "running",
                TimeSpan.FromSeconds(90), "the manager back with the guest running");
            string host = vms[guest.Name].Host!;
            output.WriteLine($"the guest runs on {host}\n{string.Join("\n", h2.Ctl("events").Stdout.TakeLast(12))}");
            Assert.Contains(host, new[] { "h2", "h3" });
            if (exit == 0) Assert.Equal("h3", host); // reported done only if it moved

            // Completed or rolled back, it is the same guest, never restarted, and the registry
            // names the host where it runs: that host's console carries it on.
            WaitTicking(guest, 0, 20);
            Assert.Empty(guest.Incarnation(1));
            // It moved twice (onto h2 when placed elsewhere, then to h3): each move carried its console, so the follower misses nothing.
            TestKernel.AssertTicksContinue(guest.Incarnation(0).Select(l => l.Line).ToArray(), $"{guest.Name} across the manager's move", gaps: 0);
            int last = NetnsCluster.WaitFor(() => TestKernel.Ticks(h2.ConsoleLines(guest.Name)), t => t.Count > 0, VmTimeout, $"{guest.Name}'s console").Max();
            NetnsCluster.WaitFor(() => TestKernel.Ticks(h2.ConsoleLines(guest.Name)).DefaultIfEmpty(0).Max(), t => t >= last + 10, VmTimeout, $"{guest.Name} ticking on {host}");
            Assert.Equal(host, NetnsCluster.Vms(h2)[guest.Name].Host);
        }
        catch (Exception e) when (e is not Xunit.Sdk.XunitException)
        {
            throw new InvalidOperationException($"{e.Message}\n{cluster.Describe()}\n{guest.Describe()}", e);
        }
    }

    /// <summary>A soak guest created through <paramref name="via"/>, moved to <paramref name="host"/> if placed elsewhere, healthy there.</summary>
    private static SoakGuest SoakGuestOn(NetnsCluster cluster, NamespacedNode via, string host)
    {
        var guest = SoakGuest.Create(cluster, via, "a");
        NetnsCluster.WaitFor(() => NetnsCluster.Vms(via)[guest.Name], v => v.State == "running", VmTimeout, "a running");
        if (NetnsCluster.Vms(via)[guest.Name].Host != host)
        {
            // Ordered again while refused as unreachable: the cluster has just formed, and under the
            // suite's load a node's first heartbeats are sometimes late.
            var moved = NetnsCluster.WaitFor(() => via.Ctl("migrate", guest.Name, "--to", host),
                r => r.ExitCode == 0 || !r.Stderr.Contains("unreachable"), VmTimeout, $"{guest.Name} migrated to {host}", pollMs: 1000);
            Assert.True(moved.ExitCode == 0, moved.Output);
        }
        guest.WaitHealthy(0, VmTimeout);
        return guest;
    }

    /// <summary>`ctl migrate` ends with exit 1 once the cut is noticed; if not, the failure shows what the cluster recorded and what ctl printed.</summary>
    /// <summary>
    /// A running `ctl migrate` of <paramref name="vm"/> to <paramref name="to"/>, ordered again
    /// while the manager refuses it because some node sees the target unreachable: under the
    /// suite's load a node's heartbeats are sometimes late for a moment.
    /// </summary>
    private static TernProcess StartMigration(NamespacedNode via, string vm, string to)
    {
        var deadline = DateTime.UtcNow + VmTimeout;
        while (true)
        {
            var migrate = via.Start([.. via.CtlPrefix, "migrate", vm, "--to", to]);
            var refusedBy = DateTime.UtcNow.AddSeconds(2);
            while (!migrate.HasExited && DateTime.UtcNow < refusedBy) Thread.Sleep(50);
            if (!migrate.HasExited || migrate.WaitForExit(TimeSpan.Zero) == 0 || !(migrate.Stderr + string.Join("\n", migrate.Stdout)).Contains("unreachable") || DateTime.UtcNow > deadline)
                return migrate;
            migrate.Dispose();
            Thread.Sleep(1000);
        }
    }

    private static void AssertMigrateFailed(TernProcess migrate, NamespacedNode via, NetnsCluster cluster)
    {
        int exit = migrate.WaitForExit(VmTimeout);
        if (exit == 1) return;
        string events = string.Join("\n", via.Ctl("events").Stdout.TakeLast(15));
        Assert.Fail($"ctl migrate exit {exit} (-1: still running after {VmTimeout})\n--- ctl migrate ---\n{migrate.Describe()}\n--- events ---\n{events}\n{cluster.Describe()}");
    }

    private static void WaitTicking(SoakGuest guest, int incarnation, int more)
    {
        int now = TestKernel.Ticks(guest.Incarnation(incarnation).Select(l => l.Line)).DefaultIfEmpty(0).Max();
        NetnsCluster.WaitFor(() => TestKernel.Ticks(guest.Incarnation(incarnation).Select(l => l.Line)).DefaultIfEmpty(0).Max(),
            t => t >= now + more, VmTimeout, $"{guest.Name} ticking on");
    }
}

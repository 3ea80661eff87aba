using Tern.EndToEnd.Tests.Support;
using Xunit.Abstractions;

namespace Tern.EndToEnd.Tests.Cluster;

/// <summary>
/// Two real nodes on loopback sharing a PostgreSQL journal: they form one cluster, VMs spread
/// over both, and when the node that is not hosting the manager is killed (SIGKILL) the Split
/// Brain Resolver downs it and its VM starts again on the survivor from its persisted definition.
/// The node comes back, takes a new VM, and when it is stopped (SIGTERM) it leaves the cluster
/// gracefully, ending its VM, which the survivor starts again.
/// </summary>
public sealed class TwoNodeClusterTests(ITestOutputHelper output)
{
    private static readonly TimeSpan VmTimeout = TimeSpan.FromSeconds(60);

    [KvmPostgresFact]
    public void Two_nodes_share_the_registry_spread_vms_and_a_killed_node_s_vm_restarts_on_the_survivor()
    {
        using var dir = new TempDir();
        using var postgres = new PostgresServer();
        // The first node starts the cluster (and so hosts the manager singleton, being the oldest);
        // it gets the lower port, so keep-majority's tie-breaker keeps it when the other is lost.
        int[] ports = [ClusterNode.FreePort(), ClusterNode.FreePort()];
        Array.Sort(ports);
        using var first = new ClusterNode(ports[0], "n1", dir.File("n1"), "--db", postgres.ConnectionString);
        using var second = new ClusterNode(ports[1], "n2", dir.File("n2"), "--db", postgres.ConnectionString, "--seed", $"127.0.0.1:{first.BindPort}");

        var hosts = first.WaitFor(() => second.CtlJson("hosts"), h => h.GetArrayLength() == 2 && h.EnumerateArray().All(x => x.GetProperty("state").GetString() == "up"),
            VmTimeout, "both hosts up");
        Assert.Equal(["n1", "n2"], hosts.EnumerateArray().Select(h => h.GetProperty("name").GetString()).Order());

        foreach (var vm in new[] { "a", "b" })
        {
            var created = first.Ctl("create", vm, "--kernel", Repo.TestKernel, "--append", "mode=ticks tick_ms=100", "--memory", "64M");
            Assert.True(created.ExitCode == 0, created.Output);
        }
        var vms = first.WaitFor(() => second.CtlJson("vms"), v => v.EnumerateArray().All(x => x.GetProperty("state").GetString() == "running"), VmTimeout, "both VMs running");
        var placement = vms.EnumerateArray().ToDictionary(v => v.GetProperty("name").GetString()!, v => v.GetProperty("host").GetString()!);
        Assert.Equal(["n1", "n2"], placement.Values.Order());
        string onSecond = placement.Single(p => p.Value == "n2").Key;
        first.WaitFor(() => TestKernel.Ticks(second.ConsoleLines(onSecond)), t => t.Count >= 3, VmTimeout, $"{onSecond} ticking on n2");

        // A console follower (through n1's API) sees the VM's output wherever it runs.
        using var follower = TernProcess.Start([.. first.CtlPrefix, "console", onSecond, "--follow"]);
        follower.WaitForLine("TICK 2", VmTimeout);

        // Kill n2 outright: n1 (the lower address wins keep-majority's tie) downs it and restarts its VM.
        var killedAt = DateTime.UtcNow;
        second.Process.Dispose();
        first.WaitFor(() => first.CtlJson("vms"), v => v.EnumerateArray().All(x => x.GetProperty("host").GetString() == "n1" && x.GetProperty("state").GetString() == "running"),
            VmTimeout, "both VMs running on n1");
        var failover = DateTime.UtcNow - killedAt;
        output.WriteLine($"failover (SIGKILL -> VM running on the survivor, as ctl sees it): {failover.TotalSeconds:0.0} s");
        // The tuned detector and stable-after give about 5 s; leave room for a loaded 2-core machine.
        Assert.True(failover < TimeSpan.FromSeconds(15), $"failover took {failover}");
        Assert.Equal("down", first.CtlJson("hosts").EnumerateArray().Single(h => h.GetProperty("name").GetString() == "n2").GetProperty("state").GetString());
        first.WaitFor(() => TestKernel.Ticks(first.ConsoleLines(onSecond)), t => t.Count >= 3, VmTimeout, $"{onSecond} ticking again on n1");
        first.WaitFor(() => follower.Stdout.Count(l => l == "TICK 1"), n => n == 2, VmTimeout, "the follower seeing the restarted guest from its start");
        Assert.Contains($"tern ctl: {onSecond} started again on n1", follower.Stderr);
        Assert.Contains($"vm {onSecond} placed on n1 (failover from n2)", string.Join("\n", first.Ctl("events").Stdout));
        Assert.Equal(0, first.Ctl("stop", onSecond).ExitCode); // two cores: keep one guest per core

        second.Restart();
        first.WaitFor(() => first.CtlJson("hosts"), h => h.EnumerateArray().All(x => x.GetProperty("state").GetString() == "up"), VmTimeout, "n2 up again");
        first.WaitFor(() => first.VmState(onSecond), s => s == "stopped", VmTimeout, $"{onSecond} stopped");
        Assert.Equal("vm c created on n2", first.Ctl("create", "c", "--kernel", Repo.TestKernel, "--append", "mode=ticks tick_ms=100", "--memory", "64M").Stdout.Single());
        first.WaitFor(() => first.VmState("c"), s => s == "running", VmTimeout, "c running on n2");

        Assert.Equal(0, second.Terminate());
        first.WaitFor(() => first.CtlJson("vms"), v => v.EnumerateArray().Any(x => x.GetProperty("name").GetString() == "c"
            && x.GetProperty("host").GetString() == "n1" && x.GetProperty("state").GetString() == "running"), VmTimeout, "c running on n1 after n2 left");
        first.WaitFor(() => TestKernel.Ticks(first.ConsoleLines("c")), t => t.Count >= 3, VmTimeout, "c ticking on n1");
    }
}

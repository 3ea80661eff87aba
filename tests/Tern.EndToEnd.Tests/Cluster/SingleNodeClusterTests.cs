using Tern.EndToEnd.Tests.Support;

namespace Tern.EndToEnd.Tests.Cluster;

/// <summary>
/// One real <c>tern node</c> with the SQLite default, driven by <c>tern ctl</c>: a VM running the
/// test kernel is created, runs (its TICK lines come back through <c>ctl console</c>), stops and is
/// deleted; the node restarts and finds its registry as it left it.
/// </summary>
public sealed class SingleNodeClusterTests
{
    private static readonly TimeSpan VmTimeout = TimeSpan.FromSeconds(60);

    [KvmFact]
    public void A_vm_created_through_ctl_runs_stops_and_the_registry_survives_a_node_restart()
    {
        using var dir = new TempDir();
        using var node = new ClusterNode("n1", dir.File("data"));

        var hosts = node.CtlJson("hosts");
        Assert.Equal("n1", Assert.Single(hosts.EnumerateArray()).GetProperty("name").GetString());
        Assert.Equal("up", hosts[0].GetProperty("state").GetString());

        var created = node.Ctl("create", "vm1", "--kernel", Repo.TestKernel, "--append", "mode=ticks tick_ms=100", "--memory", "64M", "--smp", "1");
        Assert.True(created.ExitCode == 0, created.Output);
        Assert.Equal("vm vm1 created on n1", created.Stdout.Single());
        node.WaitFor(() => node.VmState("vm1"), s => s == "running", VmTimeout, "vm1 running");
        var vm = node.CtlJson("vms")[0];
        Assert.Equal(("n1", 64L << 20), (vm.GetProperty("host").GetString(), vm.GetProperty("memoryBytes").GetInt64()));

        // The guest's own output, read back from the host's console ring through the API.
        var ticks = node.WaitFor(() => TestKernel.Ticks(node.ConsoleLines("vm1")), t => t.Count >= 5, VmTimeout, "five TICK lines");
        Assert.Equal(Enumerable.Range(1, ticks.Count), ticks);

        var twice = node.Ctl("create", "vm1", "--kernel", Repo.TestKernel);
        Assert.Equal(1, twice.ExitCode);
        Assert.Contains("a VM named 'vm1' already exists", twice.Stderr);
        var running = node.Ctl("delete", "vm1");
        Assert.Equal(1, running.ExitCode);
        Assert.Contains("stop it first", running.Stderr);

        Assert.Equal(0, node.Ctl("stop", "vm1").ExitCode);
        node.WaitFor(() => node.VmState("vm1"), s => s == "stopped", VmTimeout, "vm1 stopped");
        Assert.Equal(0, node.Ctl("delete", "vm1").ExitCode);
        Assert.Null(node.VmState("vm1"));

        // A stopped VM that must still be there after the restart.
        Assert.Equal(0, node.Ctl("create", "keep", "--kernel", Repo.TestKernel, "--append", "mode=ticks tick_ms=100", "--memory", "48M").ExitCode);
        node.WaitFor(() => node.VmState("keep"), s => s == "running", VmTimeout, "keep running");
        Assert.Equal(0, node.Ctl("stop", "keep").ExitCode);
        node.WaitFor(() => node.VmState("keep"), s => s == "stopped", VmTimeout, "keep stopped");

        int exit = node.Terminate();
        Assert.True(exit == 0, $"tern node exited {exit}\n{node.Process.Describe()}");
        node.Restart();

        var after = node.CtlJson("vms");
        var keep = Assert.Single(after.EnumerateArray());
        Assert.Equal(("keep", "stopped", 48L << 20), (keep.GetProperty("name").GetString(), keep.GetProperty("state").GetString(), keep.GetProperty("memoryBytes").GetInt64()));
        Assert.Equal(Repo.TestKernel, keep.GetProperty("definition").GetProperty("kernel").GetString());
        var events = string.Join("\n", node.Ctl("events").Stdout);
        Assert.Contains("vm vm1 deleted", events);
        Assert.Contains("vm keep stopped", events);

        // And it runs again from its persisted definition.
        Assert.Equal(0, node.Ctl("start", "keep").ExitCode);
        node.WaitFor(() => TestKernel.Ticks(node.ConsoleLines("keep")), t => t.Count >= 3, VmTimeout, "keep ticking after the restart");
        Assert.Equal(0, node.Ctl("stop", "keep").ExitCode);
        node.WaitFor(() => node.VmState("keep"), s => s == "stopped", VmTimeout, "keep stopped again");
    }
}

using System.Diagnostics;
using Tern.EndToEnd.Tests.Support;

namespace Tern.EndToEnd.Tests.Cluster;

/// <summary>
/// Issue 17: each cluster VM runs in a `tern vm` process of its own. Killing one VM's process
/// ends that VM alone, reported at once and restarted; a node killed and started again within
/// node-gone-after re-adopts its VMs untouched; a node killed for good leaves no guest running
/// past node-gone-after, so the cluster may restart it elsewhere.
/// </summary>
public sealed class VmProcessTests
{
    private static readonly TimeSpan VmTimeout = TimeSpan.FromSeconds(60);
    private const string Ticks = "mode=ticks tick_ms=100 busy=5";

    private static void Create(ClusterNode node, string name)
    {
        var created = node.Ctl("create", name, "--kernel", Repo.TestKernel, "--append", Ticks, "--memory", "48M");
        Assert.True(created.ExitCode == 0, $"tern ctl create {name}:\n{created.Output}");
    }

    private static long Incarnation(ClusterNode node, string name) =>
        node.CtlJson("vms").EnumerateArray().Single(v => v.GetProperty("name").GetString() == name).GetProperty("incarnation").GetInt64();

    [KvmFact]
    public void A_killed_vm_process_ends_that_vm_alone_and_the_vm_starts_again()
    {
        using var dir = new TempDir();
        using var node = new ClusterNode("n1", dir.File("data"));
        Create(node, "a");
        Create(node, "b");
        foreach (var vm in new[] { "a", "b" }) node.WaitFor(() => node.VmState(vm), s => s == "running", VmTimeout, $"{vm} running");
        int a = Assert.Single(node.VmProcessIds("a"));
        int b = Assert.Single(node.VmProcessIds("b"));
        Assert.NotEqual(a, b);
        Assert.DoesNotContain(node.Process.Id, new[] { a, b });
        long before = Incarnation(node, "a");
        int bTicks = node.WaitFor(() => TestKernel.Ticks(node.ConsoleLines("b")).Count, n => n >= 3, VmTimeout, "b ticking");

        Process.GetProcessById(a).Kill();

        var events = node.WaitFor(() => string.Join("\n", node.Ctl("events").Stdout), e => e.Contains("vm a ended on n1"), VmTimeout, "a's end reported");
        Assert.Contains("vm a ended on n1: the VM process ended unexpectedly (killed by signal 9)", events);
        node.WaitFor(() => Incarnation(node, "a"), i => i > before, VmTimeout, "a placed again");
        node.WaitFor(() => node.VmState("a"), s => s == "running", VmTimeout, "a running again");
        node.WaitFor(() => TestKernel.Ticks(node.ConsoleLines("a")).Count, n => n >= 2, VmTimeout, "a's new guest ticking");
        Assert.NotEqual(a, Assert.Single(node.VmProcessIds("a")));

        // b never noticed: the same process, its ticks counting on from where they were.
        Assert.Equal([b], node.VmProcessIds("b"));
        var bLines = node.WaitFor(() => node.ConsoleLines("b"), l => TestKernel.Ticks(l).Count > bTicks + 3, VmTimeout, "b ticking on");
        TestKernel.AssertTicksContinue(bLines, "b", gaps: 0);
    }

    [KvmFact]
    public void A_vm_process_whose_node_is_killed_ends_its_guest_within_fence_after()
    {
        using var dir = new TempDir();
        using var node = new ClusterNode("n1", dir.File("data"));
        Create(node, "a");
        node.WaitFor(() => node.VmState("a"), s => s == "running", VmTimeout, "a running");
        int vm = Assert.Single(node.VmProcessIds("a"));

        var killedAt = Stopwatch.StartNew();
        node.Process.KillAlone();
        using var orphan = Process.GetProcessById(vm);
        Assert.False(orphan.HasExited, "the VM process must outlive its node for a moment: it is a process of its own");
        Assert.True(orphan.WaitForExit(TimeSpan.FromSeconds(10)), "the VM process still runs 10 s after its node was killed");
        // node-gone-after is auto: stable-after (3 s) less 0.5 s; the cluster's downing of a lost host takes longer.
        Assert.True(killedAt.Elapsed < TimeSpan.FromSeconds(5), $"the guest ended {killedAt.Elapsed.TotalSeconds:0.0} s after the node was killed");
        Assert.Contains("no node for 2.5 s: quitting the VM", string.Join("\n", node.Process.Stdout));
    }

    [KvmFact]
    public void A_node_killed_and_started_again_within_node_gone_after_re_adopts_its_vms_untouched()
    {
        using var dir = new TempDir();
        // A window wide enough for a restart on a loaded CI machine (the default follows stable-after).
        File.WriteAllText(dir.File("window.conf"), "tern.host.node-gone-after = 20s\n");
        using var node = new ClusterNode("n1", dir.File("data"), "--config", dir.File("window.conf"));
        string[] vms = ["a", "b", "c"];
        foreach (var vm in vms) Create(node, vm);
        foreach (var vm in vms) node.WaitFor(() => node.VmState(vm), s => s == "running", VmTimeout, $"{vm} running");
        var pids = vms.ToDictionary(vm => vm, vm => Assert.Single(node.VmProcessIds(vm)));
        var incarnations = vms.ToDictionary(vm => vm, vm => Incarnation(node, vm));
        var ticksBefore = vms.ToDictionary(vm => vm, vm => node.WaitFor(() => TestKernel.Ticks(node.ConsoleLines(vm)).Count, n => n >= 3, VmTimeout, $"{vm} ticking"));

        node.Process.KillAlone();
        Thread.Sleep(1000); // the guests tick on with no node; their own rings keep the output
        node.Restart();

        var events = node.WaitFor(() => string.Join("\n", node.Ctl("events").Stdout), e => vms.All(vm => e.Contains($"vm {vm} re-adopted on n1")), VmTimeout, "all three re-adopted");
        foreach (var vm in vms)
        {
            node.WaitFor(() => node.VmState(vm), s => s == "running", VmTimeout, $"{vm} running"); // once the host's next report shows it
            Assert.Equal([pids[vm]], node.VmProcessIds(vm));
            Assert.Equal(incarnations[vm], Incarnation(node, vm));
            // The whole console from the first boot on, ticks counting on across the node's absence.
            var lines = node.WaitFor(() => node.ConsoleLines(vm), l => TestKernel.Ticks(l).Count > ticksBefore[vm] + 15, VmTimeout, $"{vm} ticking on");
            TestKernel.AssertTicksContinue(lines, vm, gaps: 0);
            Assert.Single(lines, l => l == "READY");
        }
        Assert.DoesNotContain("ended on n1", events);
    }

    [KvmFact]
    public void A_node_removes_stale_vm_process_directories_at_start_and_adopts_none_of_them()
    {
        using var dir = new TempDir();
        string vms = Path.Combine(dir.File("data"), "vms");
        using var someoneElse = Process.Start("sleep", "60");
        using var ended = Process.Start("true");
        ended.WaitForExit();
        foreach (var (name, pid) in new[] { ("41", someoneElse.Id), ("42-1", ended.Id) })
        {
            Directory.CreateDirectory(Path.Combine(vms, name));
            File.WriteAllText(Path.Combine(vms, name, "channel.sock"), "");
            File.WriteAllText(Path.Combine(vms, name, "pid"), $"{pid}\n");
        }

        using var node = new ClusterNode("n1", dir.File("data"));

        Assert.False(Directory.Exists(Path.Combine(vms, "41")));
        Assert.False(Directory.Exists(Path.Combine(vms, "42-1")));
        Assert.False(someoneElse.HasExited);
        Assert.Empty(node.CtlJson("vms").EnumerateArray());
        someoneElse.Kill();
    }

    [Fact]
    public void Tern_vm_names_a_bad_option_and_a_machine_of_another_name_and_starts_nothing()
    {
        using var dir = new TempDir();
        string channel = dir.File("channel.sock");
        var bogus = TernProcess.Run(["vm", "a", "--bogus"]);
        Assert.Equal(1, bogus.ExitCode);
        Assert.Contains("tern vm: unknown option '--bogus'", bogus.Stderr);

        var other = TernProcess.Run(["vm", "a", "--channel", channel, "--incarnation", "1", "--node-gone-after-ms", "100", "--", "-name", "b", "-kernel", Repo.TestKernel]);
        Assert.Equal(1, other.ExitCode);
        Assert.Contains("tern vm a: the machine's -name is 'b', not 'a'", other.Stderr);
        Assert.False(File.Exists(channel));
    }
}

using Tern.EndToEnd.Tests.Support;

namespace Tern.EndToEnd.Tests.Cluster;

/// <summary>
/// Issue 15, finding 4, in the cluster: two VMs naming one disk path no longer both run and write it.
/// The second one's start fails with the image lock's error as its last error, and the node and the
/// first VM go on.
/// </summary>
public sealed class ClusterImageLockTests
{
    private static readonly TimeSpan VmTimeout = TimeSpan.FromSeconds(60);

    [KvmFact]
    public void A_second_vm_on_the_same_disk_fails_to_start_with_the_lock_error_as_its_last_error()
    {
        using var dir = new TempDir();
        using var node = new ClusterNode("n1", dir.File("data"), "--image-dir", dir.Path);
        var disk = dir.Disk("shared.img", 4 << 20);
        string[] vm = ["--kernel", Repo.TestKernel, "--append", "mode=ticks tick_ms=100", "--memory", "64M", "--disk", disk + ",rw"];

        var created = node.Ctl(["create", "vm1", .. vm]);
        Assert.True(created.ExitCode == 0, created.Output);
        node.WaitFor(() => node.VmState("vm1"), s => s == "running", VmTimeout, "vm1 running");
        var second = node.Ctl(["create", "vm2", .. vm]);
        Assert.True(second.ExitCode == 0, second.Output);

        // `tern ctl vms` as JSON (its table wraps the long error across lines).
        var vm2 = node.WaitFor(() => node.CtlJson("vms").EnumerateArray().Single(v => v.GetProperty("name").GetString() == "vm2"),
            v => v.GetProperty("state").GetString() == "stopped", VmTimeout, "vm2 stopped");
        // vm1 runs in a `tern vm` process of its own, which holds the image.
        int holder = Assert.Single(node.VmProcessIds("vm1"));
        Assert.NotEqual(node.Process.Id, holder);
        Assert.Equal($"boot failed: drive 'disk0': failed to get \"write\" lock on {disk}: held by tern (pid {holder})",
            vm2.GetProperty("lastError").GetString());
        Assert.Equal("running", node.VmState("vm1"));
        var ticks = TestKernel.Ticks(node.ConsoleLines("vm1")).Count;
        node.WaitFor(() => TestKernel.Ticks(node.ConsoleLines("vm1")).Count, n => n > ticks + 2, VmTimeout, "vm1 ticking on");
    }
}

using System.Text.Json;
using Tern.EndToEnd.Tests.Support;
using Xunit.Abstractions;

namespace Tern.EndToEnd.Tests.Cluster;

/// <summary>
/// Issue 17: `tern ctl upgrade` moves a running VM into a new `tern vm` process on its own host (the
/// binary installed now), live over a unix socket that hands the guest's RAM (a memfd) over: the
/// guest goes on without a reboot, its memory and disk checks passing, having paused only for its
/// vCPU and device state.
/// </summary>
public sealed class UpgradeTests(ITestOutputHelper output)
{
    private static readonly TimeSpan VmTimeout = TimeSpan.FromSeconds(60);
    private const string Soak = "mode=soak mib=128 tick_ms=100 check_every=5 busy=5 blk=1";

    private static long Incarnation(ClusterNode node, string name) =>
        node.CtlJson("vms").EnumerateArray().Single(v => v.GetProperty("name").GetString() == name).GetProperty("incarnation").GetInt64();

    /// <summary>The effective uid of process <paramref name="pid"/>, once it has entered its sandbox (it drops its user after boot).</summary>
    private static string Uid(int pid)
    {
        var deadline = DateTime.UtcNow + VmTimeout;
        while (true)
        {
            var status = File.ReadAllLines($"/proc/{pid}/status");
            bool filtered = status.Single(l => l.StartsWith("Seccomp:", StringComparison.Ordinal)).EndsWith('2');
            if (filtered || DateTime.UtcNow > deadline) return status.Single(l => l.StartsWith("Uid:", StringComparison.Ordinal)).Split('\t')[2];
            Thread.Sleep(50);
        }
    }

    [KvmFact]
    public void Upgrade_moves_a_soak_guest_into_a_new_process_handing_its_ram_over_and_the_guest_goes_on()
    {
        using var dir = new TempDir();
        using var node = new ClusterNode("n1", dir.File("data"), "--image-dir", dir.Path);
        string disk = dir.Disk("a.img", 1 << 20);
        var created = node.Ctl("create", "a", "--kernel", Repo.TestKernel, "--append", Soak, "--memory", "256M", "--disk", disk + ",rw");
        Assert.True(created.ExitCode == 0, created.Output);
        node.WaitFor(() => node.VmState("a"), s => s == "running", VmTimeout, "a running");
        var before = node.WaitFor(() => node.ConsoleLines("a"), l => TestKernel.Ticks(l).Count >= 10 && l.Contains("SOAK blk before=ok"), VmTimeout, "a ticking with its disk checked");
        int oldPid = Assert.Single(node.VmProcessIds("a"));
        long oldIncarnation = Incarnation(node, "a");
        string oldUser = Uid(oldPid);
        // A root node gives each VM process a user of its own (vm-uid-base = auto), which cannot
        // enter the node's data directory: the new process listens on an abstract socket as that same user.
        if (Environment.IsPrivilegedProcess) Assert.Equal(1_800_000_000 + oldIncarnation, long.Parse(oldUser));

        var upgraded = node.Ctl("upgrade", "a", "--json");
        Assert.True(upgraded.ExitCode == 0, upgraded.Output);
        var report = JsonDocument.Parse(string.Join("\n", upgraded.Stdout)).RootElement;
        output.WriteLine($"ctl upgrade a: {report.GetProperty("totalTimeMs")} ms, guest paused {report.GetProperty("downtimeMs")} ms, {report.GetProperty("transferredBytes")} bytes sent");
        Assert.Equal(("completed", "n1", "n1"), (report.GetProperty("status").GetString(), report.GetProperty("from").GetString(), report.GetProperty("to").GetString()));
        // 256 MiB of RAM, 128 MiB of it written: handed over, not copied.
        Assert.True(report.GetProperty("transferredBytes").GetInt64() < 1 << 20, $"{report.GetProperty("transferredBytes")} bytes sent");

        int newPid = node.WaitFor(() => node.VmProcessIds("a"), p => p.Count == 1 && p[0] != oldPid, VmTimeout, "the old process gone, a new one running")[0];
        Assert.Equal(oldIncarnation + 1, Incarnation(node, "a"));
        Assert.Equal(oldUser, Uid(newPid));
        Assert.Equal("running", node.WaitFor(() => node.VmState("a"), s => s == "running", VmTimeout, "a running in its new process"));
        var after = node.WaitFor(() => node.ConsoleLines("a"), l => TestKernel.Ticks(l).Count > TestKernel.Ticks(before).Count + 20, VmTimeout, "a ticking on");
        TestKernel.AssertTicksContinue(after, "a across its upgrade", gaps: 0);
        Assert.Single(after, l => l.StartsWith("SOAK filled", StringComparison.Ordinal)); // never booted again
        Assert.Contains(after.Skip(before.Count), l => l.StartsWith("SOAK check tick=", StringComparison.Ordinal) && l.EndsWith(" ok", StringComparison.Ordinal));
        Assert.Contains(after.Skip(before.Count), l => l.StartsWith("SOAK blk read tick=", StringComparison.Ordinal));
        Assert.Contains($"vm a moved into a new VMM process on n1", string.Join("\n", node.Ctl("events").Stdout));
        // The pause as the guest saw it: a tick more than half a period (50 ms) late is printed with its delay.
        // Its memory checks delay ticks too, so this bounds the upgrade's pause from above.
        var late = after.Skip(before.Count).Where(l => l.StartsWith("SOAK late tick=", StringComparison.Ordinal)).Select(l => long.Parse(l.Split("ms=")[1])).ToArray();
        output.WriteLine($"guest-seen: {(late.Length == 0 ? "no tick late by half a period (< 50 ms)" : $"late ticks of {string.Join(", ", late)} ms")}");
        Assert.All(late, ms => Assert.True(ms < 1000, $"a tick {ms} ms late"));
        output.WriteLine($"process {oldPid} -> {newPid}");
    }

    [KvmFact]
    public void Upgrade_of_a_host_moves_each_of_its_vms_in_turn_and_bad_requests_are_named()
    {
        using var dir = new TempDir();
        using var node = new ClusterNode("n1", dir.File("data"));
        foreach (var vm in new[] { "a", "b" })
            Assert.Equal(0, node.Ctl("create", vm, "--kernel", Repo.TestKernel, "--append", "mode=ticks tick_ms=100 busy=5", "--memory", "48M").ExitCode);
        foreach (var vm in new[] { "a", "b" }) node.WaitFor(() => node.VmState(vm), s => s == "running", VmTimeout, $"{vm} running");
        var pids = new[] { "a", "b" }.ToDictionary(vm => vm, vm => Assert.Single(node.VmProcessIds(vm)));

        var all = node.Ctl("upgrade", "--host", "n1");
        Assert.True(all.ExitCode == 0, all.Output);
        Assert.Equal("host n1: upgrading 2 VMs", all.Stdout[0]);
        Assert.StartsWith("vm a moved into a new VMM process on n1 in ", all.Stdout[1]);
        Assert.StartsWith("vm b moved into a new VMM process on n1 in ", all.Stdout[2]);
        foreach (var vm in new[] { "a", "b" })
            node.WaitFor(() => node.VmProcessIds(vm), p => p.Count == 1 && p[0] != pids[vm], VmTimeout, $"{vm} in a new process");

        var neither = node.Ctl("upgrade");
        Assert.Equal(1, neither.ExitCode);
        Assert.Contains("tern ctl: upgrade takes a VM's NAME or --host HOST (one of them)", neither.Stderr);
        var unknown = node.Ctl("upgrade", "zz");
        Assert.Equal(1, unknown.ExitCode);
        Assert.Contains("no VM named 'zz'", unknown.Stderr);
    }
}

using Tern.EndToEnd.Tests.Support;
using Tern.TestSupport.Net;
using static Tern.EndToEnd.Tests.Net.NetVm;

namespace Tern.EndToEnd.Tests.Net;

/// <summary>Issue 6, acceptance 4: each bad network configuration ends tern with one line naming it and exit code 1.</summary>
public sealed class NetBadInputTests
{
    private static string[] Vm(params string[] extra) =>
        ["-machine", "q35", "-kernel", Repo.TestKernel, "-append", "mode=net", "-m", "256M", "-serial", "stdio", .. extra];

    private static void FailsWith(TernResult result, string message)
    {
        Assert.Equal(1, result.ExitCode);
        var line = Assert.Single(result.Stderr.Split('\n', StringSplitOptions.RemoveEmptyEntries));
        Assert.Equal($"tern: {message}", line);
    }

    [KvmFact]
    public void A_bad_mac() =>
        FailsWith(TernProcess.Run(Vm(NicArgs("tern-none", "52:54:00:zz:00:01"))),
            "bad mac '52:54:00:zz:00:01' for device 'net0': expected six pairs of hex digits separated by ':'");

    [KvmFact]
    public void A_netdev_that_does_not_exist() =>
        FailsWith(TernProcess.Run(Vm("-device", "virtio-net-pci,netdev=missing,id=net0,bus=pcie.0,addr=3")),
            "device 'net0' names netdev 'missing', which no -netdev defines");

    [KvmFact]
    public void Duplicate_netdev_ids() =>
        FailsWith(TernProcess.Run(Vm("-netdev", "tap,id=n0,ifname=tern-a", "-netdev", "tap,id=n0,ifname=tern-b")),
            "duplicate netdev id 'n0'");

    [KvmFact]
    public void Duplicate_device_ids() =>
        FailsWith(TernProcess.Run(Vm([.. NicArgs("tern-a"), "-netdev", "tap,id=n1,ifname=tern-b", "-device", "virtio-net-pci,netdev=n1,id=net0,bus=pcie.0,addr=4"])),
            "duplicate device id 'net0'");

    [UnprivilegedNetFact]
    public void No_permission_to_create_a_tap()
    {
        string name = $"tn{Guid.NewGuid().ToString("N")[..10]}";
        FailsWith(Unprivileged(Vm(NicArgs(name))),
            $"netdev 'n0': no permission to create TAP '{name}' (Operation not permitted): needs CAP_NET_ADMIN, or create it first with 'ip tuntap add {name} mode tap user USER'");
        Assert.False(TapInterface.Exists(name));
    }

    [UnprivilegedNetFact]
    public void No_permission_to_use_a_tap_owned_by_another_user()
    {
        using var tap = TapInterface.Create(owner: "4242");
        FailsWith(Unprivileged(Vm(NicArgs(tap.Name))),
            $"netdev 'n0': no permission to use TAP '{tap.Name}' (Operation not permitted): it belongs to another user, or needs CAP_NET_ADMIN");
    }

    [NetFact]
    public void A_tap_tern_creates_is_up_while_it_runs_and_removed_when_it_exits()
    {
        string name = $"tn{Guid.NewGuid().ToString("N")[..10]}";
        using var vm = Start("mode=net net=echo frames=1 then=poweroff", name);
        vm.WaitForLine("NET echo ready", Wait);
        Assert.True(TapInterface.Exists(name));
        Assert.Equal(1, Convert.ToInt32(File.ReadAllText($"/sys/class/net/{name}/flags").Trim(), 16) & 1); // IFF_UP
        vm.Dispose(); // killed: the kernel removes the TAP with tern's last descriptor
        var deadline = DateTime.UtcNow + TimeSpan.FromSeconds(5);
        while (TapInterface.Exists(name) && DateTime.UtcNow < deadline) Thread.Sleep(50);
        Assert.False(TapInterface.Exists(name));
    }

    /// <summary>tern as user nobody with only /dev/kvm's group: KVM works, CAP_NET_ADMIN is gone.</summary>
    private static TernResult Unprivileged(string[] args) =>
        TernProcess.Run(["--reuid=nobody", $"--regid={UnprivilegedNetFactAttribute.KvmGroup}", "--clear-groups", Repo.TernExecutable, .. args], executable: "setpriv");
}

using System.Diagnostics;
using System.Net;
using Tern.EndToEnd.Tests.Support;
using Tern.Host.Qmp.Client;
using Tern.TestSupport.Qmp;

namespace Tern.EndToEnd.Tests.Qmp;

/// <summary>Issue 3: the -qmp endpoint, unix (stale and live socket files) and tcp (IPv4 and IPv6).</summary>
public class QmpEndpointTests
{
    [KvmTheory]
    [InlineData("127.0.0.1")]
    [InlineData("::1")]
    public void Tcp_endpoints_serve_QMP_on_IPv4_and_IPv6(string host)
    {
        var address = IPAddress.Parse(host);
        int port = QmpVm.FreePort(address);
        string uri = host.Contains(':') ? $"tcp:[{host}]:{port}" : $"tcp:{host}:{port}";
        using var vm = QmpVm.Start(qmp: $"{uri},server,nowait");
        using var client = QmpClient.ConnectTcp(new IPEndPoint(address, port));

        Assert.StartsWith("{\"QMP\":", client.GreetingLine);
        Assert.Equal("running", (string?)client.Return("query-status")!["status"]);
        client.Return("quit");
        Assert.Equal(0, vm.Process.WaitForExit(QmpVm.Short));
    }

    [KvmFact]
    public void A_socket_file_left_by_a_killed_tern_is_replaced()
    {
        using var dir = new TempDir();
        var killed = QmpVm.Start(dir: dir); // not disposed as a whole: that would delete the shared directory
        using (killed.Process)
        {
            using (killed.Connect()) { }
            Signal(killed.Process, "KILL"); // no chance to remove the socket file
            Assert.NotEqual(0, killed.Process.WaitForExit(QmpVm.Short));
        }
        Assert.True(File.Exists(dir.File("qmp.sock")), "SIGKILL should have left the socket file behind");

        using var vm = QmpVm.Start(dir: dir);
        using var client = vm.Connect();

        Assert.Equal("running", (string?)client.Return("query-status")!["status"]);
        client.Return("quit");
        Assert.Equal(0, vm.Process.WaitForExit(QmpVm.Short));
        Assert.False(File.Exists(vm.SocketPath));
    }

    [KvmFact]
    public void A_live_socket_is_refused_with_exit_1_before_the_second_vm_starts()
    {
        using var first = QmpVm.Start();
        using var client = first.Connect();
        string serial = first.Dir.File("second.serial");

        var second = TernProcess.Run(
            ["-machine", "q35", "-kernel", Repo.TestKernel, "-append", "mode=ticks tick_ms=50", "-m", "256M",
             "-serial", $"file:{serial}", "-qmp", $"unix:{first.SocketPath},server,nowait"], QmpVm.Short);

        Assert.Equal(1, second.ExitCode);
        Assert.Contains($"QMP socket '{first.SocketPath}' is in use", second.Stderr);
        Assert.False(File.Exists(serial), "the refused tern created its serial file");
        Assert.True(File.Exists(first.SocketPath));
        Assert.Equal("running", (string?)client.Return("query-status")!["status"]);
        first.AssertTicksContinue();
    }

    [KvmFact]
    public void A_vm_that_fails_to_boot_leaves_no_socket_behind()
    {
        using var dir = new TempDir();
        string notAKernel = dir.Disk("not-a-kernel", 4096, "this is not an ELF or a bzImage");
        string socket = dir.File("qmp.sock");

        var r = TernProcess.Run(["-machine", "q35", "-kernel", notAKernel, "-m", "256M", "-qmp", $"unix:{socket},server,nowait"], QmpVm.Short);

        Assert.True(r.ExitCode == 1, r.Output);
        Assert.False(File.Exists(socket));
    }

    [KvmFact]
    public void SIGTERM_ends_tern_like_quit_and_removes_the_socket()
    {
        using var vm = QmpVm.Start();
        using var client = vm.Connect();
        vm.WaitForTick(1);

        Signal(vm.Process, "TERM");

        Assert.Equal("SHUTDOWN", (string?)client.WaitForEvent("SHUTDOWN")["event"]);
        Assert.Equal(0, vm.Process.WaitForExit(QmpVm.Short));
        Assert.False(File.Exists(vm.SocketPath));
    }

    private static void Signal(TernProcess process, string signal)
    {
        using var kill = Process.Start("kill", [$"-{signal}", process.Id.ToString()]);
        kill.WaitForExit();
    }
}

using System.Text.Json.Nodes;
using Tern.EndToEnd.Tests.Support;
using Tern.Host.Qmp.Client;
using Tern.TestSupport.Qmp;

namespace Tern.EndToEnd.Tests.Qmp;

/// <summary>Issue 3, acceptance 2-4: lifecycle commands change what the guest does, and every client hears of it.</summary>
public class QmpLifecycleTests
{
    [KvmFact]
    public void Stop_pauses_the_ticks_cont_resumes_them_and_a_second_client_sees_STOP_and_RESUME()
    {
        using var vm = QmpVm.Start();
        using var control = vm.Connect();
        using var watcher = vm.Connect();
        vm.WaitForTick(3);

        control.Return("stop");
        Assert.Equal("""{"status":"paused","singlestep":false,"running":false}""", control.Return("query-status")!.ToJsonString());
        Thread.Sleep(200); // lines printed just before the pause drain from the pipe
        int pausedAt = vm.LastTick;
        Thread.Sleep(600); // 12 ticks' worth
        Assert.Equal(pausedAt, vm.LastTick);
        Assert.NotNull(watcher.WaitForEvent("STOP")["timestamp"]!["seconds"]);

        control.Return("cont");
        Assert.Equal("""{"status":"running","singlestep":false,"running":true}""", control.Return("query-status")!.ToJsonString());
        watcher.WaitForEvent("RESUME");
        vm.WaitForTick(pausedAt + 3);

        var ticks = vm.Ticks;
        Assert.Equal(Enumerable.Range(1, ticks.Count), ticks); // the numbering continues: no gap, no repeat
    }

    [KvmFact]
    [System.Runtime.Versioning.SupportedOSPlatform("linux")]
    public void Quit_ends_tern_with_exit_0_after_SHUTDOWN_and_removes_the_socket()
    {
        using var vm = QmpVm.Start();
        using var client = vm.Connect();
        Assert.Equal(UnixFileMode.UserRead | UnixFileMode.UserWrite, File.GetUnixFileMode(vm.SocketPath));

        Assert.Equal("{}", client.Return("quit")!.ToJsonString());

        var shutdown = client.WaitForEvent("SHUTDOWN");
        Assert.False((bool)shutdown["data"]!["guest"]!);
        Assert.Equal("host-qmp-quit", (string?)shutdown["data"]!["reason"]);
        Assert.True(client.WaitForClose());
        Assert.Equal(0, vm.Process.WaitForExit(QmpVm.Short));
        Assert.False(File.Exists(vm.SocketPath));
    }

    [KvmFact]
    public void System_powerdown_sends_POWERDOWN_and_the_guest_keeps_running()
    {
        using var vm = QmpVm.Start();
        using var client = vm.Connect();
        vm.WaitForTick(2);

        client.Return("system_powerdown");

        client.WaitForEvent("POWERDOWN");
        vm.AssertTicksContinue(); // the test kernel has no ACPI driver: pressing the button changes nothing
        Assert.Equal("running", (string?)client.Return("query-status")!["status"]);
    }

    [KvmFact]
    public void A_guest_that_powers_off_sends_SHUTDOWN_and_tern_exits_0()
    {
        // -S: nothing runs until cont, so the client is surely connected before the guest powers off.
        using var vm = QmpVm.Start("mode=ticks ticks=3 tick_ms=50 then=poweroff", extra: ["-S"]);
        using var client = vm.Connect();
        Assert.Equal("paused", (string?)client.Return("query-status")!["status"]);

        client.Return("cont");

        var shutdown = client.WaitForEvent("SHUTDOWN");
        Assert.True((bool)shutdown["data"]!["guest"]!);
        Assert.Equal("guest-shutdown", (string?)shutdown["data"]!["reason"]);
        Assert.True(client.WaitForClose());
        Assert.Equal(0, vm.Process.WaitForExit(QmpVm.Short));
        Assert.Equal("POWEROFF", vm.Process.Stdout[^1]);
        Assert.False(File.Exists(vm.SocketPath));
    }

    [KvmFact]
    public void System_reset_boots_the_kernel_again_and_sends_RESET()
    {
        using var vm = QmpVm.Start();
        using var client = vm.Connect();
        vm.WaitForTick(3);

        client.Return("system_reset");

        var reset = client.WaitForEvent("RESET");
        Assert.False((bool)reset["data"]!["guest"]!);
        // Contains, not StartsWith: the reset may cut the old kernel mid-line ("TICK 5TERN-TEST ...").
        vm.Process.WaitForLine(_ => vm.Process.Stdout.Count(l => l.Contains("TERN-TEST ", StringComparison.Ordinal)) == 2, QmpVm.Short);
        vm.Process.WaitForLine(_ => vm.Process.Stdout.Count(l => l == "TICK 2") == 2, QmpVm.Short);
        Assert.Equal("running", (string?)client.Return("query-status")!["status"]);
    }

    [KvmFact]
    public void Queries_describe_the_vm_name_cpus_with_their_threads_and_drives()
    {
        using var dir = new TempDir();
        string disk = dir.Disk("disk.img", 1 << 20);
        using var vm = QmpVm.Start(dir: dir, extra:
        [
            "-name", "qmp-test-vm",
            "-drive", $"file={disk},id=rootfs,readonly=on,direct=off",
            "-device", "virtio-blk-pci,drive=rootfs,id=blk0,bus=pcie.0,addr=0x3",
        ]);
        using var client = vm.Connect();

        Assert.Equal("""{"name":"qmp-test-vm"}""", client.Return("query-name")!.ToJsonString());

        var cpus = client.Return("query-cpus-fast")!.AsArray();
        Assert.Equal([0, 1], cpus.Select(c => (int)c!["cpu-index"]!));
        foreach (var cpu in cpus)
        {
            int tid = (int)cpu!["thread-id"]!;
            Assert.True(Directory.Exists($"/proc/{vm.Process.Id}/task/{tid}"), $"thread {tid} is not a thread of tern");
        }

        var block = Assert.Single(client.Return("query-block")!.AsArray())!;
        Assert.Equal("rootfs", (string?)block["device"]);
        Assert.Equal("/machine/peripheral/blk0/virtio-backend", (string?)block["qdev"]);
        Assert.Equal(disk, (string?)block["inserted"]!["file"]);
        Assert.True((bool)block["inserted"]!["ro"]!);
        Assert.Equal("raw", (string?)block["inserted"]!["drv"]);

        var names = client.Return("query-commands")!.AsArray().Select(c => (string?)c!["name"]).ToArray();
        foreach (var name in new[] { "qmp_capabilities", "query-status", "stop", "cont", "quit", "system_reset", "system_powerdown",
                     "query-version", "query-commands", "query-name", "query-cpus-fast", "query-block" })
            Assert.Contains(name, names);
    }

    [KvmFact]
    public void Migration_command_names_are_known_to_the_server()
    {
        using var vm = QmpVm.Start();
        using var client = vm.Connect();

        foreach (var (command, args) in new (string, JsonObject?)[]
                 {
                     ("migrate", new JsonObject { ["uri"] = "tcp:127.0.0.1:4446" }), ("migrate_cancel", null), ("query-migrate", null),
                     ("migrate-set-parameters", null), ("query-migrate-parameters", null),
                     ("migrate-set-capabilities", new JsonObject { ["capabilities"] = new JsonArray() }), ("query-migrate-capabilities", null),
                     ("migrate-incoming", new JsonObject { ["uri"] = "tcp:127.0.0.1:4447" }),
                 })
        {
            // Each is implemented; whatever its reply to these arguments, never CommandNotFound.
            var reply = client.Execute(command, args);
            if (reply["return"] is null) Assert.Equal("GenericError", QmpClient.ErrorClass(reply));
        }
        vm.AssertTicksContinue();
    }
}

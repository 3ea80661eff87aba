using System.Text.Json;
using Tern.EndToEnd.Tests.Support;
using Tern.TestSupport.Qmp;

namespace Tern.EndToEnd.Tests.Qmp;

/// <summary>Issue 3, acceptance 1: the greeting, as a QEMU client reads it.</summary>
public class QmpGreetingTests
{
    [KvmFact]
    public void The_greeting_is_one_line_in_StratoVirts_shape_that_a_QEMU_client_accepts()
    {
        using var vm = QmpVm.Start();
        using var client = vm.Connect();

        Assert.Matches("""^\{"QMP":\{"version":\{"qemu":\{"micro":\d+,"minor":\d+,"major":\d+\},"package":"Tern-\d+\.\d+\.\d+"\},"capabilities":\[\]\}\}\r\n$""",
            client.GreetingLine);

        // What a QEMU client checks: a "QMP" object with version.qemu.{major,minor,micro} as integers,
        // a package string and a capabilities list; then it negotiates and expects an empty return.
        using var greeting = JsonDocument.Parse(client.GreetingLine);
        var qmp = greeting.RootElement.GetProperty("QMP");
        var qemu = qmp.GetProperty("version").GetProperty("qemu");
        Assert.True(qemu.GetProperty("major").TryGetInt32(out int major) && major >= 2);
        Assert.True(qemu.GetProperty("minor").TryGetInt32(out _));
        Assert.True(qemu.GetProperty("micro").TryGetInt32(out _));
        Assert.StartsWith("Tern-", qmp.GetProperty("version").GetProperty("package").GetString());
        Assert.Equal(JsonValueKind.Array, qmp.GetProperty("capabilities").ValueKind);
        Assert.Equal("{}", client.Return("qmp_capabilities")!.ToJsonString());

        // query-version answers the same object the greeting carries.
        Assert.Equal(qmp.GetProperty("version").GetRawText(), client.Return("query-version")!.ToJsonString());
    }

    [KvmFact]
    public void Commands_work_without_qmp_capabilities_and_an_id_is_echoed()
    {
        using var vm = QmpVm.Start();
        using var client = vm.Connect();

        var reply = client.Execute("query-status", id: "req-1");

        Assert.Equal("req-1", (string?)reply["id"]);
        Assert.Equal("running", (string?)reply["return"]!["status"]);
    }
}

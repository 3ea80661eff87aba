using System.Text;
using System.Text.Json.Nodes;
using Tern.Actors.Vm;
using Tern.Host.Qmp;

namespace Tern.Host.Tests.Qmp;

public sealed class QmpWireTests
{
    [Fact]
    public void The_greeting_has_StratoVirts_shape_with_Terns_package()
    {
        string greeting = Encoding.UTF8.GetString(QmpWire.Greeting(new QmpVersion(5, 0, 1, "Tern-1.2.3")));

        Assert.Equal("""{"QMP":{"version":{"qemu":{"micro":1,"minor":0,"major":5},"package":"Tern-1.2.3"},"capabilities":[]}}""" + "\r\n", greeting);
    }

    [Fact]
    public void The_real_greeting_names_this_build()
    {
        string greeting = Encoding.UTF8.GetString(QmpWire.Greeting(QmpVersion.Tern));

        Assert.Matches("""^\{"QMP":\{"version":\{"qemu":\{"micro":1,"minor":0,"major":5\},"package":"Tern-\d+\.\d+\.\d+"\},"capabilities":\[\]\}\}\r\n$""", greeting);
    }

    [Fact]
    public void Events_carry_data_and_a_seconds_and_microseconds_timestamp()
    {
        var at = DateTimeOffset.FromUnixTimeMilliseconds(1_700_000_000_123).AddTicks(4560);

        string line = Encoding.UTF8.GetString(QmpEvents.ToWire(new VmEvent.Shutdown(at, Guest: true, "guest-shutdown")));

        Assert.Equal("""{"event":"SHUTDOWN","data":{"guest":true,"reason":"guest-shutdown"},"timestamp":{"seconds":1700000000,"microseconds":123456}}""" + "\r\n", line);
    }

    [Theory]
    [InlineData(typeof(VmEvent.Stopped), "STOP")]
    [InlineData(typeof(VmEvent.Resumed), "RESUME")]
    [InlineData(typeof(VmEvent.Powerdown), "POWERDOWN")]
    public void Lifecycle_events_have_QEMUs_names_and_empty_data(Type type, string name)
    {
        var e = (VmEvent)Activator.CreateInstance(type, DateTimeOffset.UnixEpoch)!;

        var json = JsonNode.Parse(QmpEvents.ToWire(e))!;

        Assert.Equal(name, (string?)json["event"]);
        Assert.Empty(json["data"]!.AsObject());
        Assert.Equal(0, (long)json["timestamp"]!["seconds"]!);
    }

    [Fact]
    public void Reset_says_who_asked()
    {
        var json = JsonNode.Parse(QmpEvents.ToWire(new VmEvent.Reset(DateTimeOffset.UnixEpoch, false, "host-qmp-system-reset")))!;

        Assert.Equal("RESET", (string?)json["event"]);
        Assert.False((bool)json["data"]!["guest"]!);
        Assert.Equal("host-qmp-system-reset", (string?)json["data"]!["reason"]);
    }

    [Fact]
    public void Migration_events_have_QEMUs_names_and_data()
    {
        var status = JsonNode.Parse(QmpEvents.ToWire(new VmEvent.Migration(DateTimeOffset.UnixEpoch, "active")))!;
        var pass = JsonNode.Parse(QmpEvents.ToWire(new VmEvent.MigrationPass(DateTimeOffset.UnixEpoch, 3)))!;

        Assert.Equal("""{"event":"MIGRATION","data":{"status":"active"}""", status.ToJsonString()[..47]);
        Assert.Equal("MIGRATION_PASS", (string?)pass["event"]);
        Assert.Equal(3, (int)pass["data"]!["pass"]!);
    }

    [Fact]
    public void Non_ascii_text_is_written_as_utf8_not_escaped()
    {
        string line = Encoding.UTF8.GetString(QmpWire.Reply(new QmpReply.Return(new JsonObject { ["name"] = "vm-é<1>" }), null));

        Assert.Equal("{\"return\":{\"name\":\"vm-é<1>\"}}\r\n", line);
    }
}

using System.Text.Json.Nodes;
using Tern.Actors.Vm;
using Tern.Devices.Config;
using Tern.Host.Qmp;

namespace Tern.Host.Tests.Qmp;

public sealed class QueryShapeTests
{
    private static readonly VmConfig Config = new()
    {
        Boot = new BootConfig("/k", null, ""),
        Vcpus = 4,
        Topology = new CpuTopology(4, 2, 1, 1, 1, 2),
        Drives =
        [
            new DriveConfig("rootfs", "/img/root.img", ReadOnly: false, Direct: true) { IopsTotal = 500 },
            new DriveConfig("spare", "/img/spare.img", ReadOnly: true, Direct: false),
        ],
        BlockDevices = [new BlockDeviceConfig("blk0", "rootfs", "pcie.0", new PciAddress(1, 0), null)],
    };

    [Fact]
    public void Cpus_have_QEMUs_shape_and_topology_ids()
    {
        var cpus = CpuQuery.Build(Config, [new(0, 100), new(1, 101), new(2, 102), new(3, 103)]);

        Assert.Equal(4, cpus.Count);
        var third = cpus[2]!;
        Assert.Equal(2, (int)third["cpu-index"]!);
        Assert.Equal(102, (int)third["thread-id"]!);
        Assert.Equal("/machine/unattached/device[2]", (string?)third["qom-path"]);
        Assert.Equal("x86_64", (string?)third["target"]);
        Assert.Equal("""{"socket-id":1,"core-id":0,"thread-id":0}""", third["props"]!.ToJsonString());
        Assert.Equal("""{"socket-id":0,"core-id":0,"thread-id":1}""", cpus[1]!["props"]!.ToJsonString());
    }

    [Fact]
    public void Drives_have_QEMUs_shape_with_their_file_and_read_only_flag()
    {
        var blocks = BlockQuery.Build(Config, path => path == "/img/root.img" ? 64L << 20 : null);

        var root = blocks[0]!;
        Assert.Equal("rootfs", (string?)root["device"]);
        Assert.Equal("/machine/peripheral/blk0/virtio-backend", (string?)root["qdev"]);
        Assert.False((bool)root["locked"]!);
        Assert.False((bool)root["removable"]!);
        Assert.Equal("unknown", (string?)root["type"]);
        var inserted = root["inserted"]!;
        Assert.Equal("/img/root.img", (string?)inserted["file"]);
        Assert.False((bool)inserted["ro"]!);
        Assert.Equal("raw", (string?)inserted["drv"]);
        Assert.Equal(500, (long)inserted["iops"]!);
        Assert.True((bool)inserted["cache"]!["direct"]!);
        Assert.Equal(64L << 20, (long)inserted["image"]!["virtual-size"]!);

        var spare = blocks[1]!;
        Assert.Null(spare["qdev"]);
        Assert.True((bool)spare["inserted"]!["ro"]!);
        Assert.Null(spare["inserted"]!["image"]);
    }

    [Fact]
    public void Status_has_the_three_members_QEMU_clients_read()
    {
        Assert.Equal("""{"status":"paused","singlestep":false,"running":false}""", LifecycleCommands.StatusJson(VmRunState.Paused).ToJsonString());
        Assert.Equal("""{"status":"running","singlestep":false,"running":true}""", LifecycleCommands.StatusJson(VmRunState.Running).ToJsonString());
    }
}

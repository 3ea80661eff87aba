using Tern.Actors.Cluster;
using Tern.Actors.Cluster.Protocol;
using Tern.Devices.Config;
using Tern.Host.CommandLine;

namespace Tern.Host.Tests.CommandLine;

public sealed class VmConfigArgumentsTests : CommandLineTestBed
{
    private VmDefinition Definition() =>
        new("vm1", Kernel, Initrd, "mode=soak mib=16 tick_ms=100 \"quoted, with a comma\"", 96UL << 20, 2,
            [new VmDisk(Disk, Writable: true), new VmDisk(Disk2, Writable: false)], null,
            [new VmNic("br0", "52:54:00:12:34:56"), new VmNic("br1", "52:54:00:12:34:57")]);

    private static readonly string[] Taps = ["tabc1230a", "tabc1231a"];

    [Fact]
    public void A_cluster_vm_s_command_line_reads_back_as_the_same_machine()
    {
        var config = Definition().ToVmConfig(Taps) with { IncomingEndpoint = new MigrationEndpoint(MigrationTransport.Tcp, "10.0.0.2", 4444), Incoming = "tcp:10.0.0.2:4444" };

        var back = ParseExactly([.. VmConfigArguments.For(config)]);

        Assert.Equal(config.Name, back.Name);
        Assert.Equal(config.MemoryBytes, back.MemoryBytes);
        Assert.Equal(config.Vcpus, back.Vcpus);
        Assert.Equal(config.Boot, back.Boot);
        Assert.Equal(config.Machine, back.Machine);
        Assert.Equal(config.Drives, back.Drives);
        Assert.Equal(config.BlockDevices, back.BlockDevices);
        Assert.Equal(config.Netdevs, back.Netdevs);
        Assert.Equal(config.NetDevices, back.NetDevices);
        Assert.Equal(config.IncomingEndpoint, back.IncomingEndpoint);
        // What a migration checks the two ends agree on.
        var (sent, read) = (MigrationFingerprint.From(config), MigrationFingerprint.From(back));
        Assert.Equal(sent with { Devices = [] }, read with { Devices = [] });
        Assert.Equal(sent.Devices, read.Devices);
    }

    [Fact]
    public void What_the_command_line_cannot_carry_is_refused_not_dropped()
    {
        var withQmp = Definition().ToVmConfig(Taps) with { Qmp = new QmpEndpoint(QmpTransport.Unix, "/q.sock") };
        Assert.Throws<ArgumentException>(() => VmConfigArguments.For(withQmp));

        string comma = Touch("a,b.img");
        var withComma = (Definition() with { Disks = [new VmDisk(comma, Writable: true)] }).ToVmConfig(Taps);
        var e = Assert.Throws<ArgumentException>(() => VmConfigArguments.For(withComma));
        Assert.Contains("comma", e.Message);
    }
}

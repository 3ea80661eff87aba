using Tern.Devices.Config;

namespace Tern.Host.Tests.CommandLine;

public sealed class MigrationDocumentLineTests : CommandLineTestBed
{
    [Fact]
    public void StratoVirt_migration_document_line_parses_into_the_expected_config()
    {
        // The source VM's line from StratoVirt's docs/migration.md, with our own files.
        var config = ParseExactly(
            "-machine", "q35",
            "-kernel", Kernel,
            "-append", "console=ttyS0 root=/dev/vda",
            "-drive", $"file={Disk},id=rootfs,readonly=off,direct=off",
            "-device", "virtio-blk-pci,drive=rootfs,id=rootfs,bus=pcie.0,addr=0",
            "-qmp", "unix:/tmp/x.sock,server,nowait",
            "-serial", "stdio",
            "-m", "512M",
            "-smp", "2");

        Assert.Equal("q35", config.MachineType);
        Assert.Equal(new MachineOptions(DumpGuestCore: true, MemShare: false), config.Machine);
        Assert.Equal(new BootConfig(Kernel, null, "console=ttyS0 root=/dev/vda"), config.Boot);
        Assert.Equal(new DriveConfig("rootfs", Disk, ReadOnly: false, Direct: false), Assert.Single(config.Drives));
        Assert.Equal(new BlockDeviceConfig("rootfs", "rootfs", "pcie.0", new PciAddress(0, 0), null), Assert.Single(config.BlockDevices));
        Assert.Equal(new QmpEndpoint(QmpTransport.Unix, "/tmp/x.sock"), config.Qmp);
        Assert.Equal(new SerialConfig(SerialKind.Stdio, null), config.Serial);
        Assert.Equal(512UL << 20, config.MemoryBytes);
        Assert.Equal(2, config.Vcpus);
        Assert.Equal(new CpuTopology(2, 1, 1, 1, 2, 1), config.Topology);
        Assert.Equal("host", config.Cpu.Model);
        Assert.Empty(config.Cpu.HiddenFeatures);
        Assert.Null(config.Incoming);
        Assert.Null(config.IncomingEndpoint);
        Assert.False(config.StartPaused);
        Assert.Equal(new ProcessOptions(), config.Process);
    }

    [Fact]
    public void Destination_line_adds_the_incoming_uri_raw_and_parsed()
    {
        var config = ParseExactly(
            "-machine", "q35", "-kernel", Kernel, "-append", "console=ttyS0 pci=off reboot=k quiet panic=1 root=/dev/vda",
            "-drive", $"file={Disk},id=rootfs,readonly=off,direct=off",
            "-device", "virtio-blk-pci,drive=rootfs,id=rootfs,bus=pcie.0,addr=0",
            "-qmp", "unix:/tmp/socket2,server,nowait", "-serial", "stdio",
            "-incoming", "tcp:192.168.0.1:4446");

        Assert.Equal("tcp:192.168.0.1:4446", config.Incoming);
        Assert.Equal(new MigrationEndpoint(MigrationTransport.Tcp, "192.168.0.1", 4446), config.IncomingEndpoint);
        Assert.Equal("console=ttyS0 pci=off reboot=k quiet panic=1 root=/dev/vda", config.Boot.Cmdline);
    }

    [Fact]
    public void Kernel_alone_gives_the_defaults()
    {
        var config = Parse();

        Assert.Equal("q35", config.MachineType);
        Assert.Equal(256UL << 20, config.MemoryBytes);
        Assert.Equal(1, config.Vcpus);
        Assert.Equal(CpuTopology.SingleSocket(1), config.Topology);
        Assert.Equal(new BootConfig(Kernel, null, ""), config.Boot);
        Assert.Equal(SerialKind.None, config.Serial.Kind);
        Assert.Empty(config.Drives);
        Assert.Empty(config.BlockDevices);
        Assert.Null(config.Qmp);
        Assert.Null(config.Name);
    }
}

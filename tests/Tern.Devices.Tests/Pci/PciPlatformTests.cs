using Tern.Devices.Bus;
using Tern.Devices.Config;
using Tern.Devices.Pci;
using Tern.Devices.Virtio.Block;
using Tern.Devices.Virtio.Pci;
using Tern.Devices.Tests.Virtio;
using Tern.Kvm.Memory;

namespace Tern.Devices.Tests.Pci;

public sealed class PciPlatformTests : IDisposable
{
    private readonly GuestMemory _memory = new([(0, 64UL << 20)]);
    private readonly TempDisk _disk = new(64 * 1024);
    private readonly TempDisk _disk2 = new(4096);
    private readonly RecordingMsiSink _msi = new();

    public void Dispose()
    {
        _disk.Dispose();
        _disk2.Dispose();
        _memory.Dispose();
    }

    private VmConfig Config(IReadOnlyList<DriveConfig> drives, IReadOnlyList<BlockDeviceConfig> devices) => new()
    {
        Boot = new BootConfig("/nonexistent/kernel", null, ""),
        MemoryBytes = 64UL << 20,
        Vcpus = 2,
        Drives = drives,
        BlockDevices = devices,
    };

    private DriveConfig Drive(string id = "d0", string? path = null, bool readOnly = false) => new(id, path ?? _disk.Path, readOnly, false);

    private static BlockDeviceConfig Blk(string id = "blk0", string drive = "d0", byte slot = 3, byte function = 0, string bus = "pcie.0") =>
        new(id, drive, bus, new PciAddress(slot, function), null);

    private string BuildError(VmConfig config) =>
        Assert.Throws<PciBuildException>(() => PciPlatform.Build(config, _memory, _msi).Dispose()).Message;

    [Fact]
    public void Builds_a_host_bridge_and_one_function_per_device_with_decoding_bars()
    {
        using var p = PciPlatform.Build(Config([Drive(), Drive("d1", _disk2.Path, readOnly: true)],
            [Blk(), Blk("blk1", "d1", slot: 4)]), _memory, _msi);
        var io = new DeviceBus("io");
        var mmio = new DeviceBus("mmio");
        p.Attach(io, mmio, () => { });

        Assert.IsType<PciHostBridge>(p.Root.Find(0, 0));
        Assert.Same(p.VirtioDevices[0], p.Root.Find(3, 0));
        Assert.Same(p.VirtioDevices[1], p.Root.Find(4, 0));
        Assert.Equal(2, p.BlockDevices[0].QueueCount); // min(vCPUs, 32)
        Assert.True(p.BlockDevices[1].ReadOnly);

        ulong bar0 = p.Root.MappedAddress(p.VirtioDevices[0], 0)!.Value;
        ulong bar1 = p.Root.MappedAddress(p.VirtioDevices[1], 0)!.Value;
        Assert.InRange(bar0, 0xc000_0000UL, 0xfec0_0000UL - 0x8000);
        Assert.Equal(0UL, bar0 % 0x8000);
        Assert.NotEqual(bar0, bar1);
        var doorbells = p.IoEventFds().Select(b => b.Address).Order().ToArray();
        Assert.Equal(new[] { bar0 + 0x3000, bar0 + 0x3004, bar1 + 0x3000, bar1 + 0x3004 }.Order(), doorbells);
    }

    [Fact]
    public void Addr_zero_from_the_stratovirt_document_moves_the_host_bridge_to_the_last_free_slot()
    {
        using var platform = PciPlatform.Build(Config([Drive()], [Blk(slot: 0)]), _memory, _msi);
        Assert.IsType<VirtioPciDevice>(platform.Root.Find(0, 0));
        Assert.Same(platform.Root.HostBridge, platform.Root.Find(PciRoot.SlotCount - 1, 0));
    }

    [Fact]
    public void Two_devices_on_one_addr_are_refused()
    {
        var message = BuildError(Config([Drive(), Drive("d1", _disk2.Path)], [Blk(), Blk("blk1", "d1")]));
        Assert.Contains("blk1", message);
        Assert.Contains("blk0", message);
    }

    [Fact]
    public void A_missing_drive_file_names_the_drive_and_path()
    {
        var message = BuildError(Config([Drive(path: "/nonexistent/disk.img")], [Blk()]));
        Assert.Contains("'d0'", message);
        Assert.Contains("/nonexistent/disk.img", message);
        Assert.DoesNotContain('\n', message);
    }

    [Theory]
    [InlineData("dangling")]
    [InlineData("duplicate device id")]
    [InlineData("duplicate drive id")]
    [InlineData("shared drive")]
    [InlineData("other bus")]
    [InlineData("function without function 0")]
    [InlineData("slot out of range")]
    public void Inconsistent_configurations_are_refused_with_one_line(string kind)
    {
        var config = kind switch
        {
            "dangling" => Config([Drive()], [Blk(drive: "nope")]),
            "duplicate device id" => Config([Drive(), Drive("d1", _disk2.Path)], [Blk(), Blk("blk0", "d1", slot: 4)]),
            "duplicate drive id" => Config([Drive(), Drive()], [Blk()]),
            "shared drive" => Config([Drive()], [Blk(), Blk("blk1", slot: 4)]),
            "other bus" => Config([Drive()], [Blk(bus: "pcie.1")]),
            "function without function 0" => Config([Drive()], [Blk(function: 2)]),
            "slot out of range" => Config([Drive()], [Blk(slot: 40)]),
            _ => throw new ArgumentException(kind),
        };
        var message = BuildError(config);
        Assert.DoesNotContain('\n', message);
    }

    [Fact]
    public void A_second_function_in_a_slot_is_accepted_and_announced_by_function_zero()
    {
        using var p = PciPlatform.Build(Config([Drive(), Drive("d1", _disk2.Path)], [Blk(), Blk("blk1", "d1", function: 1)]), _memory, _msi);
        Span<byte> header = stackalloc byte[1];
        p.Root.ReadConfig(0, 3, 0, PciRegisters.HeaderType, header);
        Assert.Equal(0x80, header[0] & 0x80);
    }

    [Fact]
    public void A_second_platform_on_a_read_write_disk_is_refused_naming_the_drive_and_the_image()
    {
        using var first = PciPlatform.Build(Config([Drive()], [Blk()]), _memory, _msi);

        string error = BuildError(Config([Drive("other")], [Blk(drive: "other")]));

        Assert.StartsWith($"drive 'other': failed to get \"write\" lock on {_disk.Path}: held by ", error);
    }

    [Fact]
    public void An_incoming_migrations_platform_takes_the_image_lock_only_when_told()
    {
        var incoming = Config([Drive()], [Blk()]) with { IncomingEndpoint = new MigrationEndpoint(MigrationTransport.Unix, "/unused.sock") };
        using var source = PciPlatform.Build(Config([Drive()], [Blk()]), _memory, _msi);
        using var destination = PciPlatform.Build(incoming, _memory, _msi);

        Assert.Throws<ImageLockedException>(destination.LockDisks);
        source.UnlockDisks();
        destination.LockDisks();
        Assert.Throws<ImageLockedException>(source.LockDisks);
    }
}

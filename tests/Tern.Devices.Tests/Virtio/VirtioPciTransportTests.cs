using System.Buffers.Binary;
using Tern.Devices.Pci;
using Tern.Devices.Virtio;
using Tern.Devices.Virtio.Block;
using Tern.Devices.Virtio.Pci;
using Tern.Kvm.Memory;

namespace Tern.Devices.Tests.Virtio;

public sealed class VirtioPciTransportTests : IDisposable
{
    private const ulong Features = VirtioFeatures.Version1 | VirtioBlockFeatures.Flush;

    private readonly GuestMemory _memory = new([(0, 16UL << 20)]);
    private readonly TempDisk _disk = new(64 * 1024);
    private readonly RecordingMsiSink _msi = new();
    private readonly CountingLine _intx = new();
    private readonly VirtioBlock _block;
    private readonly VirtioPciDevice _transport;
    private readonly VirtioDriver _driver;

    public VirtioPciTransportTests()
    {
        _block = new VirtioBlock(DiskImage.Open(_disk.Path, readOnly: false, direct: false), "serial-1", queueCount: 2, queueSize: 16);
        _transport = new VirtioPciDevice("blk0", _block, _memory, _msi, _intx);
        _driver = VirtioDriver.Direct(_transport);
    }

    public void Dispose()
    {
        _transport.Dispose();
        _block.Dispose();
        _disk.Dispose();
        _memory.Dispose();
    }

    private uint Config32(int offset)
    {
        Span<byte> b = stackalloc byte[4];
        _transport.ReadConfig(offset, b);
        return BinaryPrimitives.ReadUInt32LittleEndian(b);
    }

    private void WriteConfig32(int offset, uint value)
    {
        Span<byte> b = stackalloc byte[4];
        BinaryPrimitives.WriteUInt32LittleEndian(b, value);
        _transport.WriteConfig(offset, b);
    }

    private List<(int Offset, byte Type)> VirtioCaps()
    {
        var caps = new List<(int, byte)>();
        for (int at = (int)(Config32(PciRegisters.CapabilitiesPointer) & 0xff); at != 0; at = (int)(Config32(at) >> 8) & 0xff)
            if ((Config32(at) & 0xff) == PciRegisters.CapabilityIdVendor) caps.Add((at, (byte)(Config32(at) >> 24)));
        return caps;
    }

    [Fact]
    public void Identifies_as_a_modern_virtio_block_function()
    {
        Assert.Equal(0x1042_1af4u, Config32(0));
        Assert.Equal(0x0100_0001u, Config32(0x08)); // class 01/00/00, revision 1
        Assert.Equal(0x1042_1af4u, Config32(PciRegisters.SubsystemVendorId));
        Assert.Equal(0x4u, Config32(PciRegisters.Bar0) & 0x7); // 64-bit memory BAR
        WriteConfig32(PciRegisters.Bar0, 0xffff_ffff);
        Assert.Equal(0xffff_8000u, Config32(PciRegisters.Bar0) & ~0xfu);
    }

    [Fact]
    public void Capabilities_point_at_each_structure_in_bar_zero()
    {
        var caps = VirtioCaps().ToDictionary(c => c.Type, c => c.Offset);
        Assert.Equal([1, 2, 3, 4, 5], caps.Keys.Order().Select(k => (int)k));
        Assert.Equal(0x0000u, Config32(caps[1] + 8));
        Assert.Equal(0x38u, Config32(caps[1] + 12));
        Assert.Equal(0x3000u, Config32(caps[2] + 8));
        Assert.Equal(8u, Config32(caps[2] + 12));  // two queues, a dword each
        Assert.Equal(4u, Config32(caps[2] + 16)); // notify_off_multiplier
        Assert.Equal(0x1000u, Config32(caps[3] + 8));
        Assert.Equal(0x2000u, Config32(caps[4] + 8));
        Assert.Equal((uint)BlockConfigSpace.Size, Config32(caps[4] + 12));
        foreach (var at in caps.Values) Assert.Equal(0, (int)(Config32(at + 4) & 0xff)); // bar 0
    }

    [Fact]
    public void Offers_version_1_and_refuses_features_ok_without_it()
    {
        ulong offered = _driver.DeviceFeatures;
        Assert.NotEqual(0UL, offered & VirtioFeatures.Version1);
        Assert.NotEqual(0UL, offered & VirtioBlockFeatures.MultiQueue);
        Assert.False(_driver.Negotiate(VirtioBlockFeatures.Flush));
        Assert.False(_driver.Negotiate(Features | (1UL << 40))); // not offered
        Assert.True(_driver.Negotiate(Features));
        Assert.Equal(Features, _transport.DriverFeatures);
    }

    [Fact]
    public void Driver_ok_without_features_ok_is_not_taken()
    {
        _driver.Status = VirtioStatus.Acknowledge | VirtioStatus.Driver;
        _driver.Status = VirtioStatus.Acknowledge | VirtioStatus.Driver | VirtioStatus.DriverOk;
        Assert.Equal(VirtioStatus.Acknowledge | VirtioStatus.Driver, _driver.Status);
        Assert.False(_transport.IsActivated);
    }

    [Fact]
    public void Writing_status_zero_returns_every_register_to_its_initial_value()
    {
        Assert.True(_driver.Negotiate(Features | VirtioFeatures.RingEventIdx));
        var dq = new DriverQueue(_memory, 8);
        _driver.SetupQueue(1, dq, vector: 2);
        _driver.ConfigVector = 0;
        _driver.DriverOk();
        Assert.True(_transport.IsActivated);

        _driver.Status = 0;
        Assert.Equal(0, _driver.Status);
        Assert.False(_transport.IsActivated);
        Assert.Equal(0UL, _transport.DriverFeatures);
        Assert.Equal(VirtioPciDevice.NoVector, _driver.ConfigVector);
        Assert.Equal(0, (int)_driver.Read(VirtioDriver.Common + 0x16, 2)); // queue_select
        _driver.SelectQueue(1);
        Assert.Equal(16, _driver.QueueSize);
        Assert.False(_driver.QueueEnabled);
        Assert.Equal(VirtioPciDevice.NoVector, _driver.QueueVector);
    }

    [Fact]
    public void A_vector_the_table_lacks_reads_back_as_no_vector()
    {
        _driver.SelectQueue(0);
        _driver.QueueVector = 3; // table has 3 vectors: 0..2
        Assert.Equal(VirtioPciDevice.NoVector, _driver.QueueVector);
        _driver.QueueVector = 2;
        Assert.Equal(2, _driver.QueueVector);
    }

    [Theory]
    [InlineData(12, 0x10000UL, 0x18000UL, 0x20000UL)]        // size not a power of two
    [InlineData(32, 0x10000UL, 0x18000UL, 0x20000UL)]        // larger than the maximum
    [InlineData(8, 0x10008UL, 0x18000UL, 0x20000UL)]         // descriptor table misaligned
    [InlineData(8, 0x10000UL, 0x18001UL, 0x20000UL)]         // available ring misaligned
    [InlineData(8, 0x10000UL, 0x18000UL, 0x20002UL)]         // used ring misaligned
    [InlineData(8, 0xffffc0UL, 0x18000UL, 0x20000UL)]         // descriptor table runs off the end of RAM
    [InlineData(8, 0x10000UL, 0x7000_0000UL, 0x20000UL)]     // available ring outside RAM
    public void Enabling_a_badly_programmed_queue_sets_needs_reset_and_the_device_stays_stopped(ushort size, ulong desc, ulong avail, ulong used)
    {
        Assert.True(_driver.Negotiate(Features));
        _driver.SetupQueue(0, new DriverQueue(_memory, size, desc, avail, used));
        Assert.False(_driver.QueueEnabled);
        Assert.NotEqual(0, _driver.Status & VirtioStatus.DeviceNeedsReset);
        Assert.NotNull(_transport.BrokenReason);
        _driver.DriverOk();
        Assert.False(_transport.IsActivated);

        _driver.Status = 0; // reset makes it usable again
        Assert.Equal(0, _driver.Status);
        Assert.True(_driver.Negotiate(Features));
        _driver.SetupQueue(0, new DriverQueue(_memory, 8));
        Assert.True(_driver.QueueEnabled);
    }

    [Fact]
    public void Queue_layout_is_frozen_once_enabled()
    {
        Assert.True(_driver.Negotiate(Features));
        _driver.SetupQueue(0, new DriverQueue(_memory, 8));
        _driver.QueueSize = 4;
        Assert.Equal(8, _driver.QueueSize);
    }

    [Fact]
    public void A_doorbell_write_signals_that_queues_eventfd_and_bindings_follow_the_bar()
    {
        _driver.Kick(1);
        Assert.Equal(0UL, _transport.QueueEvents[0].Consume());
        Assert.Equal(1UL, _transport.QueueEvents[1].Consume());
        var bindings = _transport.IoEventFds(0, 0xc000_0000);
        Assert.Equal([0xc000_3000UL, 0xc000_3004UL], bindings.Select(b => b.Address));
        Assert.Same(_transport.QueueEvents[1], bindings[1].EventFd);
        _driver.Kick(7); // no such queue: ignored
    }

    [Fact]
    public void Device_config_shows_capacity_and_queue_count()
    {
        Assert.Equal(128UL, _driver.Read(VirtioDriver.DeviceConfig, 8));
        Assert.Equal(512UL, _driver.Read(VirtioDriver.DeviceConfig + 20, 4));
        Assert.Equal(2UL, _driver.Read(VirtioDriver.DeviceConfig + 34, 2));
        Assert.Equal(2, _driver.NumQueues);
    }

    [Fact]
    public void The_pci_cfg_capability_reaches_bar_registers_through_config_space()
    {
        int cap = VirtioCaps().Single(c => c.Type == 5).Offset;
        _transport.WriteConfig(cap + 4, [0]);   // bar 0
        WriteConfig32(cap + 8, 0x12);           // num_queues
        WriteConfig32(cap + 12, 2);
        Assert.Equal(2u, Config32(cap + 16) & 0xffff);

        WriteConfig32(cap + 8, 0x3004);         // queue 1's doorbell
        _transport.WriteConfig(cap + 16, [1, 0]);
        Assert.Equal(1UL, _transport.QueueEvents[1].Consume());
    }

    [Fact]
    public void Used_buffers_raise_isr_and_intx_without_msix_and_isr_clears_on_read()
    {
        Assert.True(_driver.Negotiate(Features));
        var dq = new DriverQueue(_memory, 8);
        _driver.SetupQueue(0, dq);
        _driver.DriverOk();
        _memory.WriteObj(0x100000UL, 4u); // FLUSH
        dq.Add(new(0x100000, 16, false), new(0x100100, 1, true));
        _transport.ProcessQueue(0);
        Assert.Equal(1, dq.UsedIndex);
        Assert.Equal(1, _intx.Count);
        Assert.Equal(1UL, _driver.Read(VirtioDriver.Isr, 1));
        Assert.Equal(0UL, _driver.Read(VirtioDriver.Isr, 1));
        Assert.Empty(_msi.Sent);
    }

    [Fact]
    public void A_broken_chain_sets_needs_reset_and_sends_a_config_interrupt()
    {
        Assert.True(_driver.Negotiate(Features));
        var dq = new DriverQueue(_memory, 8);
        _driver.SetupQueue(0, dq);
        _driver.DriverOk();
        dq.Publish(200); // head index outside the queue
        _transport.ProcessQueue(0);
        Assert.NotEqual(0, _driver.Status & VirtioStatus.DeviceNeedsReset);
        Assert.Contains("head 200", _transport.BrokenReason);
        Assert.Equal(2UL, _driver.Read(VirtioDriver.Isr, 1)); // configuration change
    }

    [Fact]
    public void State_round_trips_into_a_fresh_transport_that_keeps_serving_the_ring()
    {
        Assert.True(_driver.Negotiate(Features));
        var dq = new DriverQueue(_memory, 8);
        _driver.SetupQueue(0, dq, vector: 1);
        _driver.DriverOk();
        _memory.WriteObj(0x100000UL, 4u);
        dq.Add(new(0x100000, 16, false), new(0x100100, 1, true));
        _transport.ProcessQueue(0);
        _block.Pause();
        var state = _transport.Save();

        using var block2 = new VirtioBlock(DiskImage.Open(_disk.Path, false, false), "serial-1", 2, 16);
        using var transport2 = new VirtioPciDevice("blk0", block2, _memory, _msi, _intx);
        block2.CheckRestore(_block.Save());
        transport2.Restore(state);
        Assert.True(transport2.IsActivated);
        Assert.Equal(state.Status, transport2.Status);

        dq.Add(new(0x100000, 16, false), new(0x100100, 1, true));
        transport2.ProcessQueue(0);
        Assert.Equal(2, dq.UsedIndex);
    }

    [Fact]
    public void Restore_refuses_a_state_whose_rings_lie_outside_guest_ram()
    {
        Assert.True(_driver.Negotiate(Features));
        _driver.SetupQueue(0, new DriverQueue(_memory, 8));
        _driver.DriverOk();
        var state = _transport.Save();
        var bad = state with { Queues = [state.Queues[0] with { UsedRing = 0x7000_0000 }, state.Queues[1]] };
        Assert.Throws<DeviceStateException>(() => _transport.Restore(bad));
        Assert.Throws<DeviceStateException>(() => _transport.Restore(state with { DriverFeatures = 1UL << 50 }));
        Assert.Throws<DeviceStateException>(() => _transport.Restore(state with { Version = 9 }));
        Assert.False(_transport.IsActivated);
    }
}

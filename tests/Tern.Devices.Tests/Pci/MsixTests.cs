using System.Buffers.Binary;
using Tern.Devices.Pci;
using Tern.Devices.Tests.Virtio;

namespace Tern.Devices.Tests.Pci;

public class MsixTests
{
    private readonly RecordingMsiSink _sink = new();
    private readonly PciConfigSpace _config = PciConfigSpace.CreateType0(1, 2, 0, 0, 0, 0, 0);
    private readonly MsixVectors _msix;

    public MsixTests()
    {
        _msix = new MsixVectors(4, _sink);
        _msix.AddCapability(_config, 0, 0x4000, 0x5000);
    }

    private void SetControl(ushort bits)
    {
        int at = _msix.CapabilityOffset + 2;
        _config.GuestWrite(at, [(byte)bits, (byte)(bits >> 8)]);
        _msix.ConfigWritten(_config, at, 2);
    }

    private void Program(int vector, ulong address, uint data, bool masked)
    {
        var entry = new byte[16];
        BinaryPrimitives.WriteUInt64LittleEndian(entry, address);
        BinaryPrimitives.WriteUInt32LittleEndian(entry.AsSpan(8), data);
        BinaryPrimitives.WriteUInt32LittleEndian(entry.AsSpan(12), masked ? 1u : 0u);
        for (int dword = 0; dword < 4; dword++) _msix.WriteTable((ulong)(vector * 16 + dword * 4), entry.AsSpan(dword * 4, 4));
    }

    [Fact]
    public void Capability_describes_table_size_and_locations()
    {
        int cap = _msix.CapabilityOffset;
        Assert.Equal(0x11, _config.ReadU8(cap));
        Assert.Equal(3, _config.ReadU16(cap + 2) & 0x7ff);
        Assert.Equal(0x4000u, _config.ReadU32(cap + 4));
        Assert.Equal(0x5000u, _config.ReadU32(cap + 8));
        _config.GuestWrite(cap + 2, [0xff, 0xff]); // only enable and function mask are writable
        Assert.Equal(0xc003, _config.ReadU16(cap + 2));
    }

    [Fact]
    public void Vectors_start_masked_and_nothing_is_sent_while_msix_is_disabled()
    {
        Span<byte> control = stackalloc byte[4];
        _msix.ReadTable(12, control);
        Assert.Equal(1u, BinaryPrimitives.ReadUInt32LittleEndian(control));
        Program(0, 0xfee0_0000, 0x41, masked: false);
        _msix.Notify(0);
        Assert.Empty(_sink.Sent);
        Assert.False(_msix.IsPending(0));
    }

    [Fact]
    public void An_unmasked_vector_is_delivered_with_its_address_and_data()
    {
        SetControl(0x8000);
        Program(2, 0xfee0_1000, 0x4041, masked: false);
        _msix.Notify(2);
        Assert.Equal((0xfee0_1000UL, 0x4041u), _sink.Sent.Single());
    }

    [Fact]
    public void A_masked_vector_becomes_pending_and_is_sent_on_unmask()
    {
        SetControl(0x8000);
        Program(1, 0xfee0_0000, 0x30, masked: true);
        _msix.Notify(1);
        Assert.Empty(_sink.Sent);
        Assert.True(_msix.IsPending(1));
        Span<byte> pba = stackalloc byte[8];
        _msix.ReadPba(0, pba);
        Assert.Equal(0b10UL, BinaryPrimitives.ReadUInt64LittleEndian(pba));

        _msix.WriteTable(16 + 12, [0, 0, 0, 0]);
        Assert.Equal((0xfee0_0000UL, 0x30u), _sink.Sent.Single());
        Assert.False(_msix.IsPending(1));
    }

    [Fact]
    public void The_function_mask_holds_every_vector_until_cleared()
    {
        SetControl(0xc000);
        Program(0, 0xfee0_0000, 0x20, masked: false);
        Program(3, 0xfee0_0000, 0x23, masked: false);
        _msix.Notify(0);
        _msix.Notify(3);
        Assert.Empty(_sink.Sent);
        SetControl(0x8000);
        Assert.Equal([0x20u, 0x23u], _sink.Sent.Select(s => s.Data));
    }

    [Fact]
    public void Out_of_range_vectors_and_table_offsets_are_ignored()
    {
        SetControl(0x8000);
        _msix.Notify(4);
        _msix.Notify(-1);
        _msix.WriteTable(0x1000, [1, 2, 3, 4]);
        Span<byte> b = stackalloc byte[4];
        _msix.ReadTable(0x1000, b);
        Assert.Equal(0u, BinaryPrimitives.ReadUInt32LittleEndian(b));
        Assert.Empty(_sink.Sent);
    }

    [Fact]
    public void State_round_trips_and_a_mismatched_table_is_refused()
    {
        SetControl(0x8000);
        Program(1, 0xfee0_0000, 0x31, masked: true);
        _msix.Notify(1);
        var state = _msix.Save();
        var other = new MsixVectors(4, _sink);
        other.Restore(state);
        Assert.True(other.IsPending(1));
        Assert.True(other.Enabled);
        Assert.Throws<DeviceStateException>(() => new MsixVectors(2, _sink).Restore(state));
    }
}

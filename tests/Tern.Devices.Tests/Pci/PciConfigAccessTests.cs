using System.Buffers.Binary;
using Tern.Devices.Bus;
using Tern.Devices.Config;
using Tern.Devices.Pci;

namespace Tern.Devices.Tests.Pci;

public class PciConfigAccessTests
{
    private const ulong Ecam = 0xb000_0000;

    private sealed class Observer : IBarObserver
    {
        public List<(string Device, int Bar, ulong? Old, ulong? New)> Moves { get; } = [];
        public void BarMoved(IPciDevice device, int barIndex, ulong? oldAddress, ulong? newAddress) =>
            Moves.Add((device.Name, barIndex, oldAddress, newAddress));
    }

    private sealed class Machine
    {
        public DeviceBus Io { get; } = new("io");
        public DeviceBus Mmio { get; } = new("mmio");
        public PciRoot Root { get; } = new();
        public int Resets;
        public PciConfigSpaceTests.BarDevice Device { get; } = new();
        public Observer Observer { get; } = new();

        public Machine()
        {
            Root.Add(new PciAddress(3, 0), Device);
            Root.BarObserver = Observer;
            Root.Attach(Io, Mmio, Ecam, 0x1000_0000, () => Resets++);
        }

        public uint InDword(ushort port) { Span<byte> b = stackalloc byte[4]; Io.Read(port, b); return BinaryPrimitives.ReadUInt32LittleEndian(b); }
        public ushort InWord(ushort port) { Span<byte> b = stackalloc byte[2]; Io.Read(port, b); return BinaryPrimitives.ReadUInt16LittleEndian(b); }
        public byte InByte(ushort port) { Span<byte> b = stackalloc byte[1]; Io.Read(port, b); return b[0]; }
        public void OutDword(ushort port, uint v) { Span<byte> b = stackalloc byte[4]; BinaryPrimitives.WriteUInt32LittleEndian(b, v); Io.Write(port, b); }
        public void OutByte(ushort port, byte v) => Io.Write(port, [v]);
        public uint EcamRead32(int slot, int function, int reg) { Span<byte> b = stackalloc byte[4]; Mmio.Read(Ecam + (ulong)(slot << 15 | function << 12 | reg), b); return BinaryPrimitives.ReadUInt32LittleEndian(b); }
        public void EcamWrite32(int slot, int function, int reg, uint v) { Span<byte> b = stackalloc byte[4]; BinaryPrimitives.WriteUInt32LittleEndian(b, v); Mmio.Write(Ecam + (ulong)(slot << 15 | function << 12 | reg), b); }
        public static uint ConfigAddress(int slot, int function, int reg, int bus = 0) => 0x8000_0000u | (uint)(bus << 16 | slot << 11 | function << 8 | reg);
    }

    [Fact]
    public void Cf8_cfc_reads_the_host_bridge_identity()
    {
        var m = new Machine();
        m.OutDword(0xcf8, Machine.ConfigAddress(0, 0, 0));
        Assert.Equal(0x29c0_8086u, m.InDword(0xcfc));
        m.OutDword(0xcf8, Machine.ConfigAddress(0, 0, 0x08));
        Assert.Equal(0x0600_0000u, m.InDword(0xcfc) & 0xffff_ff00);
        Assert.Equal(Machine.ConfigAddress(0, 0, 0x08), m.InDword(0xcf8));
    }

    [Fact]
    public void Cfc_byte_and_word_accesses_pick_the_right_register_bytes()
    {
        var m = new Machine();
        m.OutDword(0xcf8, Machine.ConfigAddress(3, 0, 0));
        Assert.Equal(0x1234, m.InWord(0xcfc));
        Assert.Equal(0x5678, m.InWord(0xcfe));
        Assert.Equal(0x56, m.InByte(0xcff));
        m.OutDword(0xcf8, Machine.ConfigAddress(3, 0, PciRegisters.InterruptLine));
        m.OutByte(0xcfc, 10);
        Assert.Equal(10, m.InByte(0xcfc));
        Assert.Equal(1, m.InByte(0xcfd)); // interrupt pin A, read-only
    }

    [Fact]
    public void Absent_functions_buses_and_a_clear_enable_bit_read_all_ones()
    {
        var m = new Machine();
        m.OutDword(0xcf8, Machine.ConfigAddress(7, 0, 0));
        Assert.Equal(0xffff_ffffu, m.InDword(0xcfc));
        m.OutDword(0xcf8, Machine.ConfigAddress(0, 0, 0, bus: 1));
        Assert.Equal(0xffff_ffffu, m.InDword(0xcfc));
        m.OutDword(0xcf8, Machine.ConfigAddress(0, 0, 0) & 0x7fff_ffff);
        Assert.Equal(0xffff_ffffu, m.InDword(0xcfc));
        Assert.Equal(0xffff_ffffu, m.EcamRead32(9, 2, 0));
        Assert.Equal(0xffff_ffffu, m.EcamRead32(0, 1, 0));
        m.EcamWrite32(9, 2, 4, 0x6); // dropped, nothing to crash
    }

    [Fact]
    public void Writing_cf9_with_rst_cpu_resets_and_other_values_do_not()
    {
        var m = new Machine();
        m.OutByte(0xcf9, 0x02);
        Assert.Equal(0, m.Resets);
        Assert.Equal(0x02, m.InByte(0xcf9));
        m.OutByte(0xcf9, 0x06);
        Assert.Equal(1, m.Resets);
        m.OutByte(0xcf9, 0x0e);
        Assert.Equal(2, m.Resets);
        m.OutByte(0xcf8, 0x06); // a byte write to 0xcf8 is not the reset register
        Assert.Equal(2, m.Resets);
    }

    [Fact]
    public void Ecam_reads_and_writes_reach_the_function()
    {
        var m = new Machine();
        Assert.Equal(0x29c0_8086u, m.EcamRead32(0, 0, 0));
        Assert.Equal(0x5678_1234u, m.EcamRead32(3, 0, 0));
        m.EcamWrite32(3, 0, PciRegisters.Bar0, 0xffff_ffff);
        Assert.Equal(0xffff_f000u, m.EcamRead32(3, 0, PciRegisters.Bar0));
        Assert.Equal(0u, m.EcamRead32(3, 0, 0x800)); // extended space exists and reads zero
    }

    [Fact]
    public void Function_zero_reports_multi_function_when_its_slot_has_others()
    {
        var m = new Machine();
        Assert.Equal(0, (int)(m.EcamRead32(3, 0, 0x0c) >> 16) & 0x80);
        m.Root.Add(new PciAddress(3, 2), new PciConfigSpaceTests.BarDevice());
        Assert.Equal(0x80, (int)(m.EcamRead32(3, 0, 0x0c) >> 16) & 0x80);
    }

    [Fact]
    public void Reprogramming_a_bar_moves_it_on_the_bus_and_tells_the_observer()
    {
        var m = new Machine();
        m.EcamWrite32(3, 0, PciRegisters.Bar0, 0xc000_0000);
        Assert.Empty(m.Observer.Moves); // decoding still off
        m.EcamWrite32(3, 0, PciRegisters.Command, PciRegisters.CommandMemory);
        Assert.Equal(("bars", 0, (ulong?)null, (ulong?)0xc000_0000), m.Observer.Moves.Single());

        Span<byte> b = stackalloc byte[4];
        Assert.True(m.Mmio.Read(0xc000_0010, b));
        Assert.Equal((0, 0x10UL, 4), m.Device.Reads.Last());

        m.EcamWrite32(3, 0, PciRegisters.Bar0, 0xc010_0000);
        Assert.Equal(("bars", 0, (ulong?)0xc000_0000, (ulong?)0xc010_0000), m.Observer.Moves.Last());
        Assert.False(m.Mmio.Read(0xc000_0010, b));
        Assert.True(m.Mmio.Read(0xc010_0010, b));

        m.EcamWrite32(3, 0, PciRegisters.Command, 0);
        Assert.Equal(("bars", 0, (ulong?)0xc010_0000, (ulong?)null), m.Observer.Moves.Last());
        Assert.False(m.Mmio.Read(0xc010_0010, b));
    }

    [Fact]
    public void A_bar_placed_over_another_range_stays_unmapped()
    {
        var m = new Machine();
        m.EcamWrite32(3, 0, PciRegisters.Bar0, (uint)Ecam); // on top of the ECAM window
        m.EcamWrite32(3, 0, PciRegisters.Command, PciRegisters.CommandMemory);
        Assert.Null(m.Root.MappedAddress(m.Device, 0));
        Assert.Equal(0x29c0_8086u, m.EcamRead32(0, 0, 0)); // ECAM still works
    }

    [Fact]
    public void Adding_to_a_taken_address_names_both_devices()
    {
        var root = new PciRoot();
        var e = Assert.Throws<PciBuildException>(() => root.Add(new PciAddress(0, 0), new PciConfigSpaceTests.BarDevice()));
        Assert.Contains("host-bridge", e.Message);
        Assert.Throws<PciBuildException>(() => root.Add(new PciAddress(32, 0), new PciConfigSpaceTests.BarDevice()));
    }

    [Fact]
    public void Allocator_hands_out_naturally_aligned_addresses_and_reports_exhaustion()
    {
        var a = new PciBarAllocator(0xc000_0000, 0xc001_0000, 0x1_0000_0000, 0x1_0010_0000);
        Assert.Equal(0xc000_0000UL, a.Allocate(new PciBarDefinition(0, PciBarKind.Memory32, 0x1000), "x"));
        Assert.Equal(0xc000_8000UL, a.Allocate(new PciBarDefinition(0, PciBarKind.Memory32, 0x8000), "x"));
        Assert.Equal(0x1_0000_0000UL, a.Allocate(new PciBarDefinition(0, PciBarKind.Memory64, 0x10000), "x"));
        Assert.Equal(0xc000UL, a.Allocate(new PciBarDefinition(0, PciBarKind.Io, 0x20), "x"));
        var e = Assert.Throws<PciBuildException>(() => a.Allocate(new PciBarDefinition(1, PciBarKind.Memory32, 0x10000), "blk9"));
        Assert.Contains("blk9", e.Message);
    }
}

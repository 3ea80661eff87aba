using System.Buffers.Binary;
using Tern.Devices.Pci;

namespace Tern.Devices.Tests.Pci;

public class PciConfigSpaceTests
{
    internal sealed class BarDevice : PciFunction
    {
        public BarDevice() : base("bars", PciConfigSpace.CreateType0(0x1234, 0x5678, 0x020000, 1, 0x1234, 1, 1))
        {
            DeclareBar(new PciBarDefinition(0, PciBarKind.Memory32, 0x1000));
            DeclareBar(new PciBarDefinition(2, PciBarKind.Memory64, 0x4000, Prefetchable: true));
            DeclareBar(new PciBarDefinition(4, PciBarKind.Io, 0x20));
        }

        public List<(int Bar, ulong Offset, int Length)> Reads { get; } = [];

        public override void ReadBar(int barIndex, ulong offset, Span<byte> data)
        {
            Reads.Add((barIndex, offset, data.Length));
            data.Fill(0xab);
        }
    }

    private static uint Read32(IPciDevice d, int offset)
    {
        Span<byte> b = stackalloc byte[4];
        d.ReadConfig(offset, b);
        return BinaryPrimitives.ReadUInt32LittleEndian(b);
    }

    private static void Write32(IPciDevice d, int offset, uint value)
    {
        Span<byte> b = stackalloc byte[4];
        BinaryPrimitives.WriteUInt32LittleEndian(b, value);
        d.WriteConfig(offset, b);
    }

    [Fact]
    public void Identity_registers_are_read_only()
    {
        var d = new BarDevice();
        Write32(d, 0, 0xffff_ffff);
        Assert.Equal(0x5678_1234u, Read32(d, 0));
        Write32(d, 0x08, 0);
        Assert.Equal(0x0200_0001u, Read32(d, 0x08));
    }

    [Fact]
    public void Command_register_keeps_only_writable_bits()
    {
        var d = new BarDevice();
        d.WriteConfig(PciRegisters.Command, [0xff, 0xff]);
        Span<byte> b = stackalloc byte[2];
        d.ReadConfig(PciRegisters.Command, b);
        Assert.Equal(PciRegisters.CommandWritable, BinaryPrimitives.ReadUInt16LittleEndian(b));
    }

    [Fact]
    public void Status_error_bits_are_write_one_to_clear()
    {
        var config = PciConfigSpace.CreateType0(1, 2, 0, 0, 0, 0, 0);
        config.SetU16(PciRegisters.Status, 0xf910);
        config.GuestWrite(PciRegisters.Status, [0x00, 0x81]); // clear bits 8 and 15 only
        Assert.Equal(0x7810, config.ReadU16(PciRegisters.Status));
        config.GuestWrite(PciRegisters.Status, [0xff, 0x00]); // the capability bit is read-only
        Assert.Equal(0x7810, config.ReadU16(PciRegisters.Status));
    }

    [Fact]
    public void Memory32_bar_sizing_reads_back_the_size_mask()
    {
        var d = new BarDevice();
        Write32(d, PciRegisters.Bar0, 0xffff_ffff);
        Assert.Equal(0xffff_f000u, Read32(d, PciRegisters.Bar0));
        Write32(d, PciRegisters.Bar0, 0xc000_1234);
        Assert.Equal(0xc000_1000u, Read32(d, PciRegisters.Bar0));
    }

    [Fact]
    public void Memory64_bar_sizing_covers_both_dwords_and_keeps_type_bits()
    {
        var d = new BarDevice();
        int bar = PciRegisters.Bar0 + 8;
        Assert.Equal(0xcu, Read32(d, bar)); // 64-bit, prefetchable
        Write32(d, bar, 0xffff_ffff);
        Write32(d, bar + 4, 0xffff_ffff);
        Assert.Equal(0xffff_c00cu, Read32(d, bar));
        Assert.Equal(0xffff_ffffu, Read32(d, bar + 4));
        Write32(d, bar, 0x8000_0000);
        Write32(d, bar + 4, 0x2);
        Assert.Equal(0x2_8000_0000UL, ((PciFunction)d).ProgrammedAddress(2));
    }

    [Fact]
    public void Io_bar_sizing_and_decode_follow_the_command_register()
    {
        var d = new BarDevice();
        int bar = PciRegisters.Bar0 + 16;
        Write32(d, bar, 0xffff_ffff);
        Assert.Equal(0xffff_ffe1u, Read32(d, bar));
        Write32(d, bar, 0xc040);
        Assert.Null(d.DecodedAddress(4));
        d.WriteConfig(PciRegisters.Command, [(byte)PciRegisters.CommandIo, 0]);
        Assert.Equal(0xc040UL, d.DecodedAddress(4));
        Assert.Null(d.DecodedAddress(0)); // memory decoding still off
    }

    [Fact]
    public void A_bar_in_the_middle_of_sizing_does_not_decode()
    {
        var d = new BarDevice();
        d.WriteConfig(PciRegisters.Command, [(byte)PciRegisters.CommandMemory, 0]);
        Write32(d, PciRegisters.Bar0, 0xffff_ffff);
        Assert.Null(d.DecodedAddress(0)); // 0xfffff000 + 0x1000 reaches 4 GiB: the sizing pattern
        Write32(d, PciRegisters.Bar0, 0);
        Assert.Null(d.DecodedAddress(0));
        Write32(d, PciRegisters.Bar0, 0xd000_0000);
        Assert.Equal(0xd000_0000UL, d.DecodedAddress(0));
    }

    [Fact]
    public void Capabilities_are_linked_from_the_pointer_and_flagged_in_status()
    {
        var config = PciConfigSpace.CreateType0(1, 2, 0, 0, 0, 0, 0);
        int first = config.AddCapability(0x09, [0xaa, 0xbb]);
        int second = config.AddCapability(0x11, new byte[10], new byte[10]);
        Assert.Equal(PciRegisters.FirstCapability, first);
        Assert.Equal(first, config.ReadU8(PciRegisters.CapabilitiesPointer));
        Assert.Equal(second, config.ReadU8(first + 1));
        Assert.Equal(0, config.ReadU8(second + 1));
        Assert.Equal(0, second % 4);
        Assert.NotEqual(0, config.ReadU16(PciRegisters.Status) & PciRegisters.StatusCapabilityList);
    }

    [Fact]
    public void Restore_takes_only_guest_writable_bits()
    {
        var d = PciConfigSpace.CreateType0(0x1af4, 0x1042, 0, 1, 0, 0, 1);
        var saved = d.Snapshot();
        saved[0] = 0x99;                        // vendor: read-only, must not change
        saved[PciRegisters.InterruptLine] = 11; // writable
        d.Restore(saved);
        Assert.Equal(0x1af4, d.ReadU16(0));
        Assert.Equal(11, d.ReadU8(PciRegisters.InterruptLine));
    }
}

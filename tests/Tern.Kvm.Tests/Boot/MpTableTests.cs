using Tern.Kvm.Arch;
using Tern.Kvm.Boot;
using Tern.Kvm.Boot.Mp;
using Tern.Kvm.Tests.Boot.Support;

namespace Tern.Kvm.Tests.Boot;

public class MpTableTests
{
    private static byte Sum(ReadOnlySpan<byte> data)
    {
        byte sum = 0;
        foreach (var b in data) sum += b;
        return sum;
    }

    [Theory]
    [InlineData(1)]
    [InlineData(4)]
    public void Mp_table_checksums_are_right_and_it_lists_one_processor_per_vcpu(int vcpus)
    {
        using var h = new BootHarness();
        MpTable.Write(h.Memory, vcpus);
        ulong fp = MemoryLayout.MpTableAddress;
        Assert.Equal("_MP_"u8.ToArray(), h.Bytes(fp, 4));
        Assert.Equal(0, Sum(h.Bytes(fp, 16)));
        ulong table = h.U32(fp + 4);
        Assert.Equal("PCMP"u8.ToArray(), h.Bytes(table, 4));
        int length = h.U16(table + 4);
        Assert.Equal(0, Sum(h.Bytes(table, length)));
        Assert.True(table + (ulong)length <= 0xa0000, "the table stays inside the EBDA");
        Assert.Equal((uint)MemoryLayout.LapicBase, h.U32(table + 36));

        int entries = h.U16(table + 34);
        var processors = new List<(byte ApicId, byte Flags)>();
        int ioapics = 0, buses = 0, irqs = 0, lints = 0;
        ulong at = table + 44;
        for (int i = 0; i < entries; i++)
        {
            byte type = h.U8(at);
            switch (type)
            {
                case 0: processors.Add((h.U8(at + 1), h.U8(at + 3))); at += 20; break;
                case 1: buses++; Assert.Equal("ISA   "u8.ToArray(), h.Bytes(at + 2, 6)); at += 8; break;
                case 2: ioapics++; Assert.Equal((uint)MemoryLayout.IoApicBase, h.U32(at + 4)); at += 8; break;
                case 3: irqs++; at += 8; break;
                case 4: lints++; at += 8; break;
                default: Assert.Fail($"unknown MP entry type {type}"); break;
            }
        }
        Assert.Equal(table + (ulong)length, at);
        Assert.Equal(Enumerable.Range(0, vcpus).Select(i => ((byte)i, (byte)(i == 0 ? 3 : 1))), processors);
        Assert.Equal((1, 1, 15, 2), (buses, ioapics, irqs, lints));
    }

    [Fact]
    public void Mp_table_routes_isa_irq0_to_ioapic_pin_2()
    {
        var table = MpTable.Build(1, MemoryLayout.MpTableAddress);
        int first = 16 + 44 + 20 + 8 + 8; // floating pointer, header, one processor, bus, IOAPIC
        Assert.Equal(3, table[first]);      // I/O interrupt entry
        Assert.Equal(0, table[first + 5]);  // source IRQ 0
        Assert.Equal(2, table[first + 7]);  // IOAPIC pin 2
    }

    [Fact]
    public void Mp_table_refuses_more_vcpus_than_the_ebda_holds() =>
        Assert.Throws<BootException>(() => MpTable.Build(MpTable.MaxVcpus + 1, MemoryLayout.MpTableAddress));
}

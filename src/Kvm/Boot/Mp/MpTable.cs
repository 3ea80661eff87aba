using Tern.Kvm.Arch;
using Tern.Kvm.Memory;

namespace Tern.Kvm.Boot.Mp;

/// <summary>
/// The Intel MultiProcessor Specification 1.4 table, for guests that boot without ACPI: a
/// floating pointer followed by the configuration table, both in the EBDA where Linux scans for
/// them. It lists one processor per vCPU (APIC id = index, vCPU 0 the bootstrap processor), the
/// ISA bus, the IOAPIC, each ISA IRQ's IOAPIC pin (IRQ0 on pin 2, as the PIT is wired) and the
/// LAPICs' LINT0 (ExtINT) and LINT1 (NMI).
/// </summary>
public static class MpTable
{
    private const int FloatingPointerSize = 16;
    private const int HeaderSize = 44;
    private const int ProcessorEntrySize = 20;
    private const int ShortEntrySize = 8;
    private const int IsaIrqCount = 16;
    private const byte SpecRevision = 4; // 1.4
    private const byte LapicVersion = 0x14;
    private const byte IoApicVersion = 0x11;
    private const uint CpuSignature = 0x600; // family 6
    private const uint CpuFeatures = (1 << 0) | (1 << 9); // FPU, APIC
    private const byte AllLapics = 0xff;
    private const ushort LevelActiveHigh = 0x0d; // polarity 01 (high), trigger 11 (level)

    private enum EntryType : byte { Processor = 0, Bus = 1, IoApic = 2, IoInterrupt = 3, LocalInterrupt = 4 }

    private enum InterruptType : byte { Int = 0, Nmi = 1, ExtInt = 3 }

    private const int FixedEntriesSize = ShortEntrySize /* bus */ + ShortEntrySize /* IOAPIC */
        + (IsaIrqCount - 1) * ShortEntrySize /* ISA IRQs but 2 */ + 2 * ShortEntrySize /* LINT0, LINT1 */;

    private static readonly ulong Room = 0xa0000 - MemoryLayout.MpTableAddress;

    /// <summary>How many vCPUs fit in the EBDA's table; beyond that only ACPI's MADT describes them.</summary>
    public static readonly int MaxVcpus = (int)((Room - FloatingPointerSize - HeaderSize - FixedEntriesSize) / ProcessorEntrySize);

    /// <summary>Writes the floating pointer and configuration table at <see cref="MemoryLayout.MpTableAddress"/>.</summary>
    public static void Write(GuestMemory memory, int vcpus) =>
        memory.Write(MemoryLayout.MpTableAddress, Build(vcpus, MemoryLayout.MpTableAddress));

    /// <summary>The floating pointer immediately followed by the configuration table, as placed at <paramref name="address"/>.</summary>
    public static byte[] Build(int vcpus, ulong address)
    {
        if (vcpus < 1 || vcpus > MaxVcpus)
            throw new BootException($"the MP table holds 1 to {MaxVcpus} vCPUs, not {vcpus}");
        byte ioApicId = (byte)vcpus; // the first APIC id no processor uses
        var w = new ByteWriter(FloatingPointerSize + HeaderSize + vcpus * ProcessorEntrySize + FixedEntriesSize);

        w.Ascii("_MP_", 4).U32(checked((uint)(address + FloatingPointerSize)))
            .U8(1) // length in 16-byte units
            .U8(SpecRevision).U8(0) // checksum
            .U8(0) // feature 1: a configuration table is present
            .Zeros(4); // feature 2-5: no IMCR (virtual wire mode)
        Checksum.Fill(w.Written[..FloatingPointerSize], 10);

        int table = w.Length;
        w.Ascii("PCMP", 4).U16(0).U8(SpecRevision).U8(0)
            .Ascii("TERN", 8).Ascii("TERNVM", 12)
            .U32(0).U16(0) // no OEM table
            .U16(0) // entry count, patched below
            .U32(checked((uint)MemoryLayout.LapicBase))
            .U16(0).U8(0).U8(0); // no extended table

        int entries = 0;
        for (int cpu = 0; cpu < vcpus; cpu++, entries++)
        {
            byte flags = (byte)(1 | (cpu == 0 ? 2 : 0)); // enabled, bootstrap processor
            w.U8((byte)EntryType.Processor).U8((byte)cpu).U8(LapicVersion).U8(flags)
                .U32(CpuSignature).U32(CpuFeatures).Zeros(8);
        }
        w.U8((byte)EntryType.Bus).U8(0).Ascii("ISA", 6); entries++;
        w.U8((byte)EntryType.IoApic).U8(ioApicId).U8(IoApicVersion).U8(1).U32(checked((uint)MemoryLayout.IoApicBase)); entries++;
        for (byte irq = 0; irq < IsaIrqCount; irq++)
        {
            if (irq == 2) continue; // the cascade: pin 2 carries IRQ0 instead
            byte pin = irq == 0 ? (byte)2 : irq;
            ushort flags = irq == Acpi.AcpiFixedHardware.SciIrq ? LevelActiveHigh : (ushort)0;
            w.U8((byte)EntryType.IoInterrupt).U8((byte)InterruptType.Int).U16(flags).U8(0).U8(irq).U8(ioApicId).U8(pin);
            entries++;
        }
        w.U8((byte)EntryType.LocalInterrupt).U8((byte)InterruptType.ExtInt).U16(0).U8(0).U8(0).U8(AllLapics).U8(0); entries++;
        w.U8((byte)EntryType.LocalInterrupt).U8((byte)InterruptType.Nmi).U16(0).U8(0).U8(0).U8(AllLapics).U8(1); entries++;

        w.PatchU16(table + 4, (ushort)(w.Length - table));
        w.PatchU16(table + 34, (ushort)entries);
        Checksum.Fill(w.Written[table..], 7);
        return w.ToArray();
    }
}

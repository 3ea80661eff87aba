using Tern.Kvm.Arch;

namespace Tern.Kvm.Boot.Acpi;

/// <summary>
/// The Multiple APIC Description Table: one enabled Local APIC per vCPU (ACPI processor id and
/// APIC id = index), the IOAPIC (GSI 0-23), the ISA overrides the q35 wiring needs (IRQ0 on GSI 2,
/// the SCI on IRQ 9 level-triggered, active-high) and LINT1 as NMI on every processor.
/// </summary>
internal static class Madt
{
    public const byte Revision = 4;
    public const uint PcatCompat = 1;
    /// <summary>The IOAPIC id, as KVM's in-kernel IOAPIC reports it after reset.</summary>
    public const byte IoApicId = 0;

    public enum EntryType : byte { LocalApic = 0, IoApic = 1, InterruptSourceOverride = 2, LocalApicNmi = 4 }

    private const uint Enabled = 1;
    private const byte IsaBus = 0;
    private const byte AllProcessors = 0xff;
    private const ushort Conforming = 0;
    private const ushort ActiveHighLevel = 0x01 | (0x03 << 2);

    public static byte[] Build(int vcpus)
    {
        var w = AcpiTableHeader.Begin("APIC", Revision, 64 + vcpus * 8);
        w.U32(checked((uint)MemoryLayout.LapicBase)).U32(PcatCompat);
        for (int cpu = 0; cpu < vcpus; cpu++)
            w.U8((byte)EntryType.LocalApic).U8(8).U8((byte)cpu).U8((byte)cpu).U32(Enabled);
        w.U8((byte)EntryType.IoApic).U8(12).U8(IoApicId).U8(0).U32(checked((uint)MemoryLayout.IoApicBase)).U32(0);
        w.U8((byte)EntryType.InterruptSourceOverride).U8(10).U8(IsaBus).U8(0).U32(2).U16(Conforming);
        w.U8((byte)EntryType.InterruptSourceOverride).U8(10).U8(IsaBus).U8(AcpiFixedHardware.SciIrq)
            .U32(AcpiFixedHardware.SciIrq).U16(ActiveHighLevel);
        w.U8((byte)EntryType.LocalApicNmi).U8(6).U8(AllProcessors).U16(Conforming).U8(1);
        return AcpiTableHeader.Finish(w);
    }
}

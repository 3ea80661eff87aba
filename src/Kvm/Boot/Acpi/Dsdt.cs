using Tern.Kvm.Arch;
using static Tern.Kvm.Boot.Acpi.Aml.Aml;
using static Tern.Kvm.Boot.Acpi.Aml.AmlResource;

namespace Tern.Kvm.Boot.Acpi;

/// <summary>
/// The Differentiated System Description Table: \_S5 for power-off, the PCIe root bridge \_SB.PCI0
/// with its bus, I/O and memory windows, and the COM1 UART. Revision 2, so AML integers are 64-bit.
/// </summary>
internal static class Dsdt
{
    public const byte Revision = 2;

    public static byte[] Build(ulong ramSize)
    {
        var w = AcpiTableHeader.Begin("DSDT", Revision, 512);
        w.Bytes(SleepStateS5());
        w.Bytes(Scope("\\_SB", PciRoot(ramSize), Com1()));
        return AcpiTableHeader.Finish(w);
    }

    /// <summary>\_S5: SLP_TYPa and SLP_TYPb for S5, which Tern's PM device treats as power-off.</summary>
    private static byte[] SleepStateS5() =>
        Name("\\_S5", Package(Integer(AcpiFixedHardware.SlpTypS5), Integer(AcpiFixedHardware.SlpTypS5), Integer(0), Integer(0)));

    private static byte[] PciRoot(ulong ramSize)
    {
        ulong mmio64 = MemoryLayout.Mmio64Base(ramSize);
        var resources = Template(
            WordBusNumber(0x00, 0xff),
            // The root bridge's own configuration ports; the windows below and above are the buses'.
            Io(PcIoPorts.PciConfigBase, PcIoPorts.PciConfigBase, 1, PcIoPorts.PciConfigLength),
            WordIo(0x0000, PcIoPorts.PciConfigBase - 1),
            WordIo(0x0d00, 0xffff),
            DWordMemory(checked((uint)MemoryLayout.Mmio32Base), checked((uint)(MemoryLayout.Mmio32End - 1))),
            QWordMemory(mmio64, mmio64 + MemoryLayout.Mmio64Size - 1));
        return Device("PCI0",
            Name("_HID", EisaId("PNP0A08")),
            Name("_CID", EisaId("PNP0A03")),
            Name("_ADR", Integer(0)),
            Name("_SEG", Integer(0)),
            Name("_BBN", Integer(0)),
            Name("_UID", Integer(0)),
            Name("_CRS", resources));
    }

    private static byte[] Com1() =>
        Device("COM1",
            Name("_HID", EisaId("PNP0501")),
            Name("_UID", Integer(1)),
            Name("_CRS", Template(
                Io(PcIoPorts.Com1Base, PcIoPorts.Com1Base, 1, PcIoPorts.Com1Length), IrqNoFlags(PcIoPorts.Com1Irq))));
}

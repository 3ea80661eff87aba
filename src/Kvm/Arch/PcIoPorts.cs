namespace Tern.Kvm.Arch;

/// <summary>
/// The PC's fixed I/O ports and ISA IRQs that the firmware tables announce and the devices decode.
/// Declared here, below both, so the DSDT and the port bus cannot disagree.
/// </summary>
public static class PcIoPorts
{
    /// <summary>COM1: a 16550A's eight registers.</summary>
    public const ushort Com1Base = 0x3f8;
    public const byte Com1Length = 8;
    /// <summary>COM1's ISA IRQ, edge-triggered.</summary>
    public const byte Com1Irq = 4;

    /// <summary>PCI configuration mechanism #1: CONFIG_ADDRESS at 0xCF8, CONFIG_DATA at 0xCFC..0xCFF.</summary>
    public const ushort PciConfigBase = 0xcf8;
    public const byte PciConfigLength = 8;
}

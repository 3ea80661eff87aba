namespace Tern.Kvm.Boot.Acpi;

/// <summary>
/// The fixed ACPI hardware the FADT announces and Tern's PM device implements: I/O ports of the
/// PM1a event and control blocks, PM timer and GPE0 block, the SCI's ISA IRQ, the reset register
/// and the SLP_TYP value the DSDT's \_S5 gives for power-off.
/// </summary>
public static class AcpiFixedHardware
{
    public const ushort Pm1aEvent = 0x600;
    public const byte Pm1EventLength = 4;
    public const ushort Pm1aControl = 0x604;
    public const byte Pm1ControlLength = 2;
    public const ushort PmTimer = 0x608;
    public const byte PmTimerLength = 4;
    public const ushort Gpe0 = 0x620;
    public const byte Gpe0Length = 16;
    public const ushort ResetPort = 0xcf9;
    public const byte ResetValue = 0x06;
    public const byte SciIrq = 9;
    /// <summary>SLP_TYP written to PM1a_CNT to enter S5 (power off).</summary>
    public const byte SlpTypS5 = 5;
}

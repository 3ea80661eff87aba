namespace Tern.Devices.Legacy.Acpi;

/// <summary>
/// Where <see cref="AcpiPm"/>'s register blocks sit, for whoever writes the FADT (PM1a_EVT_BLK,
/// PM1a_CNT_BLK, PM_TMR_BLK, GPE0_BLK, their lengths, SCI_INT) and the DSDT's \_S5 object.
/// The offsets follow ICH9's PMBASE layout, as QEMU's q35 does.
/// </summary>
public static class AcpiPmLayout
{
    public const ushort BasePort = 0x600;
    public const int Length = 0x80;
    public const uint SciIrq = 9;

    public const int Pm1EventOffset = 0x00;   // PM1_STS (2 bytes) then PM1_EN (2 bytes)
    public const int Pm1EventLength = 4;
    public const int Pm1ControlOffset = 0x04;
    public const int Pm1ControlLength = 2;
    public const int PmTimerOffset = 0x08;    // 24-bit counter: FADT flag TMR_VAL_EXT clear
    public const int PmTimerLength = 4;
    public const int Gpe0Offset = 0x20;       // status bytes, then as many enable bytes
    public const int Gpe0Length = 16;

    public const uint PmTimerFrequencyHz = 3_579_545;

    /// <summary>The SLP_TYP that powers off: the DSDT's \_S5 package must carry this value.</summary>
    public const int SoftOffSleepType = 5;
}

namespace Tern.Devices.Legacy.Acpi;

/// <summary>The PM1 registers' bits (ACPI 6.5 section 4.8.3) and the byte offsets inside the block.</summary>
internal static class AcpiPmRegisters
{
    public const ulong Pm1Status = AcpiPmLayout.Pm1EventOffset;
    public const ulong Pm1Enable = AcpiPmLayout.Pm1EventOffset + 2;
    public const ulong Pm1Control = AcpiPmLayout.Pm1ControlOffset;
    public const ulong TimerCounter = AcpiPmLayout.PmTimerOffset;
    public const ulong Gpe0Status = AcpiPmLayout.Gpe0Offset;
    public const int Gpe0HalfLength = AcpiPmLayout.Gpe0Length / 2;
    public const ulong Gpe0Enable = Gpe0Status + Gpe0HalfLength;

    // PM1_STS and PM1_EN share bit positions.
    public const ushort TimerCarry = 1 << 0; // TMR_STS / TMR_EN
    public const ushort PowerButton = 1 << 8;
    public const ushort Wake = 1 << 15;
    /// <summary>The status bits this block can ever set.</summary>
    public const ushort StatusMask = TimerCarry | PowerButton | Wake;
    /// <summary>TMR_EN, GBL_EN, PWRBTN_EN, SLPBTN_EN, RTC_EN, PCIEXP_WAKE_DIS.</summary>
    public const ushort EnableMask = 0x4721;
    /// <summary>The events that raise the SCI here.</summary>
    public const ushort SciEvents = TimerCarry | PowerButton;

    // PM1_CNT
    public const ushort SciEnable = 1 << 0;  // always reads 1: the machine has no SMI_CMD, ACPI is always on
    public const int SleepTypeShift = 10;
    public const ushort SleepTypeMask = 0x7 << SleepTypeShift;
    public const ushort SleepEnable = 1 << 13; // write-only
    /// <summary>BM_RLD and SLP_TYP: the control bits kept (GBL_RLS and SLP_EN are write-only).</summary>
    public const ushort ControlStoredMask = (1 << 1) | SleepTypeMask;

    public const uint TimerCounterMask = 0xFF_FFFF;
    public const int TimerMsbShift = 23; // TMR_STS is set each time this bit flips
}

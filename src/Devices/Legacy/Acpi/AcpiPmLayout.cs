using Firmware = Tern.Kvm.Boot.Acpi.AcpiFixedHardware;

namespace Tern.Devices.Legacy.Acpi;

/// <summary>
/// Where <see cref="AcpiPm"/>'s register blocks sit, as offsets into its port range. The ports
/// themselves are the ones the FADT announces (<see cref="Firmware"/>), so the tables and the
/// device cannot disagree. The offsets follow ICH9's PMBASE layout, as QEMU's q35 does.
/// </summary>
public static class AcpiPmLayout
{
    public const ushort BasePort = Firmware.Pm1aEvent;
    public const int Length = 0x80;
    public const uint SciIrq = Firmware.SciIrq;

    public const int Pm1EventOffset = Firmware.Pm1aEvent - BasePort;     // PM1_STS (2 bytes) then PM1_EN (2 bytes)
    public const int Pm1EventLength = Firmware.Pm1EventLength;
    public const int Pm1ControlOffset = Firmware.Pm1aControl - BasePort;
    public const int Pm1ControlLength = Firmware.Pm1ControlLength;
    public const int PmTimerOffset = Firmware.PmTimer - BasePort;        // 24-bit counter: FADT flag TMR_VAL_EXT clear
    public const int PmTimerLength = Firmware.PmTimerLength;
    public const int Gpe0Offset = Firmware.Gpe0 - BasePort;              // status bytes, then as many enable bytes
    public const int Gpe0Length = Firmware.Gpe0Length;

    public const uint PmTimerFrequencyHz = 3_579_545;

    /// <summary>The SLP_TYP that powers off: the DSDT's \_S5 package carries the same value.</summary>
    public const int SoftOffSleepType = Firmware.SlpTypS5;
}

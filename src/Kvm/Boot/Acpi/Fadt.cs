using static Tern.Kvm.Boot.Acpi.AcpiFixedHardware;
using Access = Tern.Kvm.Boot.Acpi.GenericAddress.Access;

namespace Tern.Kvm.Boot.Acpi;

/// <summary>
/// The Fixed ACPI Description Table, revision 6 layout (276 bytes). Not HW-reduced: the guest gets
/// PM1a event/control blocks, a PM timer and GPE0 on I/O ports, an SCI on IRQ 9, and ACPI mode is
/// always on (SMI_CMD is zero). Reset goes through port 0xCF9; power-off through \_S5.
/// </summary>
internal static class Fadt
{
    public const int Size = 276;
    public const byte Revision = 6;
    private const byte MinorRevision = 0;

    [Flags]
    public enum Feature : uint
    {
        Wbinvd = 1 << 0,
        ProcC1 = 1 << 2,
        PwrButton = 1 << 4,  // set means "no fixed power button"; left clear
        SlpButton = 1 << 5,  // set means "no fixed sleep button"
        ResetRegSup = 1 << 10,
        HwReducedAcpi = 1 << 20,
    }

    [Flags]
    public enum BootArch : ushort
    {
        LegacyDevices = 1 << 0,
        I8042 = 1 << 1,
    }

    public const Feature Flags = Feature.Wbinvd | Feature.ProcC1 | Feature.SlpButton | Feature.ResetRegSup;

    // P_LVL2_LAT above 100 and P_LVL3_LAT above 1000 say C2 and C3 are not supported.
    private const ushort NoC2 = 0x0fff;
    private const ushort NoC3 = 0x0fff;
    private const byte CmosCentury = 0x32;

    public static byte[] Build(uint facsAddress, ulong dsdtAddress)
    {
        var w = AcpiTableHeader.Begin("FACP", Revision, Size);
        w.U32(facsAddress)
            .U32(checked((uint)dsdtAddress))
            .U8(0)    // reserved (ACPI 1.0 INT_MODEL)
            .U8(0)    // preferred PM profile: unspecified
            .U16(SciIrq)
            .U32(0)   // SMI_CMD: none, ACPI is always enabled
            .U8(0).U8(0).U8(0).U8(0) // ACPI_ENABLE, ACPI_DISABLE, S4BIOS_REQ, PSTATE_CNT
            .U32(Pm1aEvent).U32(0)
            .U32(Pm1aControl).U32(0)
            .U32(0)   // PM2_CNT_BLK
            .U32(PmTimer)
            .U32(Gpe0).U32(0)
            .U8(Pm1EventLength).U8(Pm1ControlLength).U8(0).U8(PmTimerLength)
            .U8(Gpe0Length).U8(0).U8(0) // GPE0_BLK_LEN, GPE1_BLK_LEN, GPE1_BASE
            .U8(0)    // CST_CNT
            .U16(NoC2).U16(NoC3)
            .U16(0).U16(0) // FLUSH_SIZE, FLUSH_STRIDE
            .U8(0).U8(0)   // DUTY_OFFSET, DUTY_WIDTH
            .U8(0).U8(0).U8(CmosCentury) // DAY_ALRM, MON_ALRM, CENTURY
            .U16((ushort)BootArch.I8042)
            .U8(0)
            .U32((uint)Flags)
            .IoGas(ResetPort, 1, Access.Byte)
            .U8(ResetValue)
            .U16(0)   // ARM_BOOT_ARCH
            .U8(MinorRevision)
            .U64(0)   // X_FIRMWARE_CTRL: FIRMWARE_CTRL already holds the FACS below 4 GiB
            .U64(dsdtAddress)
            .IoGas(Pm1aEvent, Pm1EventLength, Access.Word)
            .NoGas()
            .IoGas(Pm1aControl, Pm1ControlLength, Access.Word)
            .NoGas()
            .NoGas()  // X_PM2_CNT_BLK
            .IoGas(PmTimer, PmTimerLength, Access.DWord)
            .IoGas(Gpe0, Gpe0Length, Access.Byte)
            .NoGas()  // X_GPE1_BLK
            .NoGas()  // SLEEP_CONTROL_REG (HW-reduced only)
            .NoGas()  // SLEEP_STATUS_REG
            .Ascii("TERN", 8, 0); // hypervisor vendor identity
        return AcpiTableHeader.Finish(w);
    }
}

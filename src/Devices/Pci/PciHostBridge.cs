namespace Tern.Devices.Pci;

/// <summary>
/// The q35 host bridge (Intel 82G33 MCH, 8086:29C0) at 00.0, as QEMU and StratoVirt present it.
/// It only identifies the root complex; ECAM is placed by the machine, not through PCIEXBAR.
/// </summary>
public sealed class PciHostBridge() : PciFunction("host-bridge", CreateConfig())
{
    public const ushort VendorIntel = 0x8086;
    public const ushort DeviceQ35Mch = 0x29c0;
    public const uint ClassHostBridge = 0x060000;

    private static PciConfigSpace CreateConfig() =>
        PciConfigSpace.CreateType0(VendorIntel, DeviceQ35Mch, ClassHostBridge, revision: 0,
            subsystemVendorId: 0x1af4, subsystemId: 0x1100, interruptPin: 0);
}

using System.Buffers.Binary;
using Tern.Devices.Pci;

namespace Tern.Devices.Virtio.Pci;

/// <summary>
/// Where the virtio structures sit in the transport's single 64-bit memory BAR (each in its own
/// 4 KiB page, MSI-X apart from the rest as the PCI spec recommends), and the vendor capabilities
/// that point the driver at them (virtio 1.2, 4.1.4).
/// </summary>
public static class VirtioPciLayout
{
    public const int BarIndex = 0;
    public const ulong BarSize = 0x8000;

    public const int CommonOffset = 0x0000;
    public const int CommonLength = 0x38;
    public const int IsrOffset = 0x1000;
    public const int DeviceConfigOffset = 0x2000;
    public const int NotifyOffset = 0x3000;
    public const uint NotifyOffMultiplier = 4; // a dword per queue: each queue has its own doorbell
    public const int MsixTableOffset = 0x4000;
    public const int MsixPbaOffset = 0x5000;
    public const int RegionSize = 0x1000;

    /// <summary>Queues the notify page and MSI-X table page can hold (one vector per queue plus config).</summary>
    public const int MaxQueues = 255;

    public const byte CapCommon = 1;
    public const byte CapNotify = 2;
    public const byte CapIsr = 3;
    public const byte CapDevice = 4;
    public const byte CapPciConfig = 5;

    /// <summary>Offsets inside the VIRTIO_PCI_CAP_PCI_CFG capability.</summary>
    public const int PciCfgBar = 4, PciCfgOffset = 8, PciCfgLength = 12, PciCfgData = 16;

    /// <summary>Adds the common, notify, ISR and device capabilities; returns the PCI-config-access one's offset.</summary>
    public static int AddCapabilities(PciConfigSpace config, int queueCount, int deviceConfigLength)
    {
        AddVirtioCap(config, CapCommon, CommonOffset, CommonLength, []);
        Span<byte> multiplier = stackalloc byte[4];
        BinaryPrimitives.WriteUInt32LittleEndian(multiplier, NotifyOffMultiplier);
        AddVirtioCap(config, CapNotify, NotifyOffset, (uint)queueCount * NotifyOffMultiplier, multiplier);
        AddVirtioCap(config, CapIsr, IsrOffset, 1, []);
        AddVirtioCap(config, CapDevice, DeviceConfigOffset, (uint)deviceConfigLength, []);

        // bar, offset, length and data of the config-access window are the driver's to write.
        Span<byte> mask = stackalloc byte[18];
        mask[2] = 0xff;
        mask[6..].Fill(0xff);
        return AddVirtioCap(config, CapPciConfig, 0, 0, stackalloc byte[4], mask);
    }

    private static int AddVirtioCap(PciConfigSpace config, byte type, int offset, uint length, ReadOnlySpan<byte> extra, ReadOnlySpan<byte> mask = default)
    {
        // virtio_pci_cap after the ID and next bytes: cap_len, cfg_type, bar, id, padding[2], offset, length.
        Span<byte> body = stackalloc byte[14 + extra.Length];
        body.Clear();
        body[0] = (byte)(2 + body.Length);
        body[1] = type;
        body[2] = BarIndex;
        BinaryPrimitives.WriteUInt32LittleEndian(body[6..], (uint)offset);
        BinaryPrimitives.WriteUInt32LittleEndian(body[10..], length);
        extra.CopyTo(body[14..]);
        return config.AddCapability(PciRegisters.CapabilityIdVendor, body, mask);
    }

    /// <summary>The PCI class code for a virtio device type (QEMU's choices).</summary>
    public static uint ClassCode(ushort deviceType) => deviceType switch
    {
        VirtioDeviceType.Block => 0x010000, // mass storage, SCSI
        VirtioDeviceType.Net => 0x020000,   // network, Ethernet
        _ => 0xff0000,                      // unassigned class
    };
}

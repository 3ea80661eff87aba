namespace Tern.Devices.Virtio;

/// <summary>Device status bits (virtio 1.2, 2.1).</summary>
public static class VirtioStatus
{
    public const byte Acknowledge = 0x01;
    public const byte Driver = 0x02;
    public const byte DriverOk = 0x04;
    public const byte FeaturesOk = 0x08;
    public const byte DeviceNeedsReset = 0x40;
    public const byte Failed = 0x80;
}

/// <summary>Reserved (transport and ring) feature bits (virtio 1.2, 6).</summary>
public static class VirtioFeatures
{
    public const int IndirectDescBit = 28;
    public const int RingEventIdxBit = 29;
    public const int Version1Bit = 32;

    public const ulong IndirectDesc = 1UL << IndirectDescBit;
    public const ulong RingEventIdx = 1UL << RingEventIdxBit;
    public const ulong Version1 = 1UL << Version1Bit;
}

/// <summary>Virtio device IDs (virtio 1.2, 5).</summary>
public static class VirtioDeviceType
{
    public const ushort Net = 1;
    public const ushort Block = 2;
}

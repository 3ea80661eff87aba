namespace Tern.Devices.Virtio.Net;

/// <summary>virtio-net feature bits (virtio 1.2, 5.1.3) Tern offers; no offloads, so frames travel whole and checksummed.</summary>
public static class NetFeatures
{
    public const ulong Mac = 1UL << 5;
    public const ulong Status = 1UL << 16;
}

/// <summary>The status field of the configuration space (virtio 1.2, 5.1.4).</summary>
public static class NetStatus
{
    public const ushort LinkUp = 1;
}

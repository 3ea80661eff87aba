namespace Tern.Devices.Virtio.Block;

/// <summary>virtio-blk feature bits (virtio 1.2, 5.2.3).</summary>
public static class VirtioBlockFeatures
{
    public const ulong SegMax = 1UL << 2;
    public const ulong ReadOnly = 1UL << 5;
    public const ulong BlkSize = 1UL << 6;
    public const ulong Flush = 1UL << 9;
    public const ulong MultiQueue = 1UL << 12;
}

namespace Tern.Devices.Virtio.Block;

/// <summary>
/// virtio-blk's saved state: the disk identity the driver saw, checked on restore so a VM never
/// resumes on a different disk. Queue positions travel with the transport's state.
/// </summary>
public sealed record VirtioBlockState(int Version, ulong CapacitySectors, bool ReadOnly, string Serial, int QueueCount)
{
    public const int CurrentVersion = 1;
}

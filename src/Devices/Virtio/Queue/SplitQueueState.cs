namespace Tern.Devices.Virtio.Queue;

/// <summary>
/// A split virtqueue's saved state: the driver's layout and the device's ring positions.
/// Untrusted when restored: <see cref="SplitQueue.Restore"/> validates it against guest memory.
/// </summary>
public sealed record SplitQueueState(int Version, ushort Size, bool Ready, ulong DescTable, ulong AvailRing, ulong UsedRing,
    ushort NextAvail, ushort NextUsed, bool EventIdx, bool IndirectDesc)
{
    public const int CurrentVersion = 1;
}

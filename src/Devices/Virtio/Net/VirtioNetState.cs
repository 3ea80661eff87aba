namespace Tern.Devices.Virtio.Net;

/// <summary>
/// virtio-net's own part of a migration (the queues and negotiated features travel with the
/// transport): the MAC the guest knows, the link state and the queue shape. Checked on restore.
/// </summary>
public sealed record VirtioNetState(int Version, string Mac, bool LinkUp, int QueueCount, int MaxQueueSize)
{
    public const int CurrentVersion = 1;
}

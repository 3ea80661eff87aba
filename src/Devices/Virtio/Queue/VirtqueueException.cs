namespace Tern.Devices.Virtio.Queue;

/// <summary>The driver broke the virtqueue protocol (a bad index, loop, address or table).</summary>
public sealed class VirtqueueException(string message) : Exception(message);

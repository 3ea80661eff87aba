using Tern.Devices.Virtio.Queue;
using Tern.Kvm.Memory;

namespace Tern.Devices.Virtio;

/// <summary>
/// A virtio device behind a transport: its features, configuration space and queue work. The
/// transport calls <see cref="Activate"/> when the driver sets DRIVER_OK and <see cref="Reset"/>
/// when it writes status 0; <see cref="ProcessQueue"/> runs on an I/O thread when a queue is kicked.
/// </summary>
public interface IVirtioDevice
{
    ushort DeviceType { get; }
    int QueueCount { get; }
    ushort MaxQueueSize { get; }
    ulong OfferedFeatures { get; }

    /// <summary>The length of the device-specific configuration structure.</summary>
    int ConfigSize { get; }

    void ReadConfig(int offset, Span<byte> data);

    void WriteConfig(int offset, ReadOnlySpan<byte> data);

    /// <summary>Starts the device with the driver's queues; called on a vCPU thread, must not block on I/O.</summary>
    void Activate(VirtioDeviceContext context);

    /// <summary>Stops the device: waits for the queue work under way, forgets the queues.</summary>
    void Reset();

    /// <summary>Handles a notification of queue <paramref name="queueIndex"/>; I/O thread only.</summary>
    void ProcessQueue(int queueIndex);
}

/// <summary>What the transport tells the device it can use from activation to reset.</summary>
public sealed class VirtioDeviceContext(GuestMemory memory, ulong features, IReadOnlyList<SplitQueue?> queues, IVirtioNotifier notifier)
{
    public GuestMemory Memory { get; } = memory;

    /// <summary>The features the driver accepted.</summary>
    public ulong Features { get; } = features;

    /// <summary>One entry per queue; null for a queue the driver did not enable.</summary>
    public IReadOnlyList<SplitQueue?> Queues { get; } = queues;

    public IVirtioNotifier Notifier { get; } = notifier;

    public bool Has(ulong feature) => (Features & feature) == feature;

    /// <summary>Wakes the I/O thread for every enabled queue (after a pause, to pick up what was left).</summary>
    public void KickEveryQueue()
    {
        for (int q = 0; q < Queues.Count; q++)
            if (Queues[q] is not null) Notifier.Kick(q);
    }
}

/// <summary>The device's way back to its transport.</summary>
public interface IVirtioNotifier
{
    /// <summary>The device put buffers in the used ring of <paramref name="queueIndex"/> and suppression allows an interrupt.</summary>
    void UsedBuffers(int queueIndex);

    /// <summary>The device met a driver error it cannot recover from: sets DEVICE_NEEDS_RESET.</summary>
    void DeviceBroken(string reason);

    /// <summary>Wakes the I/O thread for <paramref name="queueIndex"/> (after a pause, to pick up what was left).</summary>
    void Kick(int queueIndex);
}

using Tern.Devices.Config;
using Tern.Devices.Virtio.Queue;
using Tern.Kvm;
using Tern.Kvm.Memory;
using Tern.Kvm.Net;

namespace Tern.Devices.Virtio.Net;

/// <summary>
/// virtio-net (device type 1) on a frame backend (a TAP): queue 0 receives, queue 1 transmits; the
/// MAC and the link status are in the configuration space. All work runs on the I/O thread, woken by
/// a queue kick or by the backend having frames. Back-pressure: when the guest has posted no receive
/// buffer, <see cref="WantsFrames"/> turns false and the I/O thread stops polling the backend, so
/// frames wait in (and overflow from) the kernel's TAP queue, never in Tern's memory; the guest's
/// next kick of the receive queue resumes reading. A chain that breaks the protocol marks the device
/// DEVICE_NEEDS_RESET.
/// </summary>
public sealed class VirtioNet : IVirtioDevice, IDisposable
{
    public const int RxQueue = 0;
    public const int TxQueue = 1;
    public const ushort DefaultQueueSize = 256;
    /// <summary>Frames moved per wake-up before the I/O thread serves its other sources again.</summary>
    private const int Budget = 256;
    private const int MinFrame = 14;

    private readonly INetBackend _backend;
    private readonly byte[] _config;
    private readonly byte[] _rxBuffer = new byte[NetHeader.Size + TapDevice.MaxFrame];
    private readonly byte[] _txBuffer = new byte[TapDevice.MaxFrame];
    private readonly Lock _lock = new();
    private volatile VirtioDeviceContext? _context;
    private volatile bool _paused;
    private volatile bool _broken;
    private volatile bool _rxArmed;
    private volatile bool _backendFailed;

    public VirtioNet(INetBackend backend, MacAddress mac, ushort queueSize = DefaultQueueSize)
    {
        SplitQueue.CheckDeviceSize(queueSize, nameof(queueSize));
        _backend = backend;
        Mac = mac;
        MaxQueueSize = queueSize;
        _config = NetConfigSpace.Build(mac, LinkUp);
    }

    public ushort DeviceType => VirtioDeviceType.Net;
    public int QueueCount => 2;
    public ushort MaxQueueSize { get; }
    public ulong OfferedFeatures => VirtioFeatures.Version1 | VirtioFeatures.RingEventIdx | VirtioFeatures.IndirectDesc
        | NetFeatures.Mac | NetFeatures.Status;
    public int ConfigSize => NetConfigSpace.Size;
    public MacAddress Mac { get; }
    public bool LinkUp => true;
    public INetBackend Backend => _backend;

    /// <summary>Frames moved and dropped so far (dropped: did not fit the guest's buffer, or the backend refused them).</summary>
    public NetCounters Counters { get; } = new();

    /// <summary>Whether the I/O thread should poll the backend: running, and the guest had receive buffers last time we looked.</summary>
    public bool WantsFrames => _rxArmed && _context is not null && !_paused && !_broken && !_backendFailed;

    public void ReadConfig(int offset, Span<byte> data) => ConfigBytes.Read(_config, offset, data);

    /// <summary>The MAC is writable only in legacy virtio, which Tern does not offer.</summary>
    public void WriteConfig(int offset, ReadOnlySpan<byte> data) { }

    public void Activate(VirtioDeviceContext context)
    {
        lock (_lock)
        {
            _broken = false;
            _rxArmed = true;
            _context = context;
        }
    }

    public void Reset()
    {
        lock (_lock)
        {
            _context = null;
            _broken = false;
            _rxArmed = false;
        }
    }

    public void ProcessQueue(int queueIndex)
    {
        lock (_lock)
        {
            if (_context is not { } context || _paused || _broken) return;
            if ((uint)queueIndex >= (uint)context.Queues.Count) return;
            try
            {
                if (queueIndex == RxQueue) Receive(context);
                else Transmit(context);
            }
            catch (Exception e) when (e is VirtqueueException or GuestMemoryException)
            {
                _broken = true;
                context.Notifier.DeviceBroken($"virtio-net {(queueIndex == RxQueue ? "receive" : "transmit")} queue: {e.Message}");
            }
            catch (KvmException e)
            {
                _backendFailed = true; // the TAP went away: stop polling it rather than spin
                Console.Error.WriteLine($"tern: virtio-net {Mac}: {e.Message}; receiving stopped");
            }
        }
    }

    /// <summary>Moves waiting frames into the guest's receive buffers until either runs out (or the budget does).</summary>
    private void Receive(VirtioDeviceContext context)
    {
        if (context.Queues[RxQueue] is not { } queue)
        {
            _rxArmed = false;
            return;
        }
        bool used = false;
        for (int moved = 0; moved < Budget; moved++)
        {
            if (!queue.HasAvailable() && !queue.EnableNotification())
            {
                _rxArmed = false; // no buffer: leave frames in the TAP until the guest kicks this queue
                break;
            }
            _rxArmed = true;
            int length = _backend.Receive(_rxBuffer.AsSpan(NetHeader.Size));
            if (length == 0) break;
            var chain = queue.Pop() ?? throw new VirtqueueException("receive buffer vanished");
            if (chain.ReadableLength != 0) throw new VirtqueueException($"receive chain {chain.Head} has device-readable buffers");
            int total = NetHeader.Size + length;
            if (chain.WritableLength < (ulong)total)
            {
                queue.UndoPop(); // the frame is dropped; the buffer waits for a smaller one
                Counters.RxDropped++;
                continue;
            }
            NetHeader.WriteReceived(_rxBuffer);
            ChainBytes.Scatter(context.Memory, ChainBytes.Ranges(chain.Buffers, writable: true, 0, (ulong)total), 0, _rxBuffer.AsSpan(0, total));
            queue.AddUsed(chain.Head, (uint)total);
            Counters.RxFrames++;
            used = true;
        }
        if (used && queue.NeedsNotification()) context.Notifier.UsedBuffers(RxQueue);
    }

    /// <summary>Sends every frame the guest queued; a frame too short or too long for Ethernet is dropped.</summary>
    private void Transmit(VirtioDeviceContext context)
    {
        if (context.Queues[TxQueue] is not { } queue) return;
        bool used = false;
        int moved = 0;
        do
        {
            while (moved < Budget && queue.Pop() is { } chain)
            {
                if (chain.WritableLength != 0) throw new VirtqueueException($"transmit chain {chain.Head} has device-writable buffers");
                ulong frameLength = chain.ReadableLength - Math.Min(chain.ReadableLength, NetHeader.Size);
                if (frameLength is < MinFrame or > TapDevice.MaxFrame) Counters.TxDropped++;
                else
                {
                    int length = (int)frameLength;
                    ChainBytes.Gather(context.Memory, ChainBytes.Ranges(chain.Buffers, writable: false, NetHeader.Size, frameLength), 0, _txBuffer.AsSpan(0, length));
                    if (_backend.Send(_txBuffer.AsSpan(0, length))) Counters.TxFrames++;
                    else Counters.TxDropped++;
                }
                queue.AddUsed(chain.Head, 0);
                used = true;
                moved++;
            }
        } while (moved < Budget && queue.EnableNotification());
        if (used && queue.NeedsNotification()) context.Notifier.UsedBuffers(TxQueue);
        if (moved == Budget) context.Notifier.Kick(TxQueue); // more may wait: come back after the others had a turn
    }

    /// <summary>Sends the announce frame for this NIC's MAC on the backend (after a migration).</summary>
    public bool Announce() => _backend.Send(RarpFrame.Build(Mac));

    /// <summary>
    /// Stops moving frames: the batch under way completes (its frames are in guest memory and the used
    /// ring), nothing more is taken from the TAP or the transmit queue until <see cref="Resume"/>.
    /// Frames that arrive meanwhile stay in the TAP: after a migration they are lost, never delivered twice.
    /// </summary>
    public void Pause()
    {
        lock (_lock) _paused = true;
    }

    public void Resume()
    {
        VirtioDeviceContext? context;
        lock (_lock)
        {
            _paused = false;
            context = _context;
        }
        context?.KickEveryQueue();
    }

    public bool IsPaused => _paused;

    public VirtioNetState Save() => new(VirtioNetState.CurrentVersion, Mac.ToString(), LinkUp, QueueCount, MaxQueueSize);

    /// <summary>Accepts saved state only if the guest saw this very NIC (same MAC, same queues).</summary>
    public void CheckRestore(VirtioNetState state)
    {
        if (state.Version != VirtioNetState.CurrentVersion) throw new DeviceStateException($"virtio-net state version {state.Version} is not supported");
        if (state.Mac != Mac.ToString()) throw new DeviceStateException($"virtio-net MAC {Quote(state.Mac)} in the state, {Mac} here");
        if (state.QueueCount != QueueCount) throw new DeviceStateException($"virtio-net has {state.QueueCount} queues in the state, {QueueCount} here");
        if (state.MaxQueueSize != MaxQueueSize) throw new DeviceStateException($"virtio-net queue size {state.MaxQueueSize} in the state, {MaxQueueSize} here");
        if (!state.LinkUp) throw new DeviceStateException("virtio-net link down in the state; Tern keeps links up");
    }

    private static string Quote(string text) => text.Length <= 17 ? text : text[..17] + "...";

    public void Dispose() => _backend.Dispose();
}

/// <summary>Frame counters of one NIC (written on the I/O thread only).</summary>
public sealed class NetCounters
{
    public long RxFrames;
    public long RxDropped;
    public long TxFrames;
    public long TxDropped;
}

using System.Text;
using Tern.Devices.Pci;
using Tern.Devices.Virtio.Queue;
using Tern.Kvm;
using Tern.Kvm.Memory;

namespace Tern.Devices.Virtio.Block;

/// <summary>
/// virtio-blk (device type 2) over a raw image. Requests are served synchronously on the I/O
/// thread that calls <see cref="ProcessQueue"/>: pop every available chain, do the file I/O
/// straight into guest memory, push the used entries, interrupt once per batch. A chain that
/// breaks the protocol marks the device DEVICE_NEEDS_RESET; an I/O failure is the guest's IOERR.
/// </summary>
public sealed class VirtioBlock : IVirtioDevice, IDisposable
{
    public const ushort DefaultQueueSize = 256;
    public const int SectorSize = 512;
    public const int IdBytes = 20;
    public const int MaxQueues = 64;

    private readonly DiskImage _disk;
    private readonly byte[] _config;
    private readonly byte[] _id = new byte[IdBytes];
    private readonly Lock _lock = new();
    private VirtioDeviceContext? _context;
    private bool _paused;
    private bool _broken;

    public VirtioBlock(DiskImage disk, string? serial = null, int queueCount = 1, ushort queueSize = DefaultQueueSize)
    {
        if (queueCount is < 1 or > MaxQueues) throw new ArgumentOutOfRangeException(nameof(queueCount), $"virtio-blk needs 1..{MaxQueues} queues");
        SplitQueue.CheckDeviceSize(queueSize, nameof(queueSize));
        _disk = disk;
        Serial = serial ?? "";
        byte[] serialBytes = Encoding.UTF8.GetBytes(Serial); // GET_ID: up to 20 bytes, NUL-padded
        serialBytes.AsSpan(0, Math.Min(IdBytes, serialBytes.Length)).CopyTo(_id);
        QueueCount = queueCount;
        MaxQueueSize = queueSize;
        CapacitySectors = (ulong)disk.Length / SectorSize;
        _config = BlockConfigSpace.Build(CapacitySectors, segMax: (uint)queueSize - 2, SectorSize, (ushort)queueCount);

        OfferedFeatures = VirtioFeatures.Version1 | VirtioFeatures.RingEventIdx | VirtioFeatures.IndirectDesc
            | VirtioBlockFeatures.SegMax | VirtioBlockFeatures.BlkSize | VirtioBlockFeatures.Flush
            | (disk.ReadOnly ? VirtioBlockFeatures.ReadOnly : 0)
            | (queueCount > 1 ? VirtioBlockFeatures.MultiQueue : 0);
    }

    public ushort DeviceType => VirtioDeviceType.Block;
    public int QueueCount { get; }
    public ushort MaxQueueSize { get; }
    public ulong OfferedFeatures { get; }
    public int ConfigSize => BlockConfigSpace.Size;
    public ulong CapacitySectors { get; }
    public bool ReadOnly => _disk.ReadOnly;
    public string Serial { get; }
    public DiskImage Disk => _disk;

    public void ReadConfig(int offset, Span<byte> data) => ConfigBytes.Read(_config, offset, data);

    /// <summary>Every field is read-only without CONFIG_WCE, which is not offered.</summary>
    public void WriteConfig(int offset, ReadOnlySpan<byte> data) { }

    public void Activate(VirtioDeviceContext context)
    {
        lock (_lock)
        {
            _context = context;
            _broken = false;
        }
    }

    public void Reset()
    {
        lock (_lock)
        {
            _context = null;
            _broken = false;
        }
    }

    public void ProcessQueue(int queueIndex)
    {
        lock (_lock)
        {
            if (_context is not { } context || _paused || _broken) return;
            if ((uint)queueIndex >= (uint)context.Queues.Count || context.Queues[queueIndex] is not { } queue) return;
            try
            {
                bool used = false;
                do
                {
                    while (queue.Pop() is { } chain)
                    {
                        queue.AddUsed(chain.Head, Serve(context.Memory, chain));
                        used = true;
                    }
                } while (queue.EnableNotification());
                if (used && queue.NeedsNotification()) context.Notifier.UsedBuffers(queueIndex);
            }
            catch (Exception e) when (e is VirtqueueException or GuestMemoryException)
            {
                _broken = true;
                context.Notifier.DeviceBroken($"virtio-blk queue {queueIndex}: {e.Message}");
            }
        }
    }

    /// <summary>Serves one request; returns the bytes written into guest memory (data + status).</summary>
    private uint Serve(GuestMemory memory, DescriptorChain chain)
    {
        var request = BlockRequest.Parse(memory, chain);
        (byte status, ulong written) = request.Type switch
        {
            BlockRequest.TypeIn => ReadOrWrite(memory, request, isWrite: false),
            BlockRequest.TypeOut => ReadOrWrite(memory, request, isWrite: true),
            BlockRequest.TypeFlush => (Flush() ? BlockRequest.StatusOk : BlockRequest.StatusIoError, 0UL),
            BlockRequest.TypeGetId => (BlockRequest.StatusOk, (ulong)ChainBytes.Scatter(memory, request.Data, 0, _id.AsSpan(0, (int)Math.Min(request.DataLength, IdBytes)))),
            _ => (BlockRequest.StatusUnsupported, 0UL),
        };
        memory.Write(request.StatusAddress, [status]);
        return (uint)Math.Min(written + 1, uint.MaxValue);
    }

    private (byte Status, ulong Written) ReadOrWrite(GuestMemory memory, BlockRequest request, bool isWrite)
    {
        if (isWrite && _disk.ReadOnly) return (BlockRequest.StatusIoError, 0);
        ulong sectors = request.DataLength / SectorSize;
        if (request.DataLength % SectorSize != 0 || request.Sector > CapacitySectors || sectors > CapacitySectors - request.Sector)
            return (BlockRequest.StatusIoError, 0);
        long offset = (long)(request.Sector * SectorSize);
        try
        {
            if (isWrite) _disk.Write(memory, request.Data, offset);
            else _disk.Read(memory, request.Data, offset);
        }
        catch (KvmException)
        {
            return (BlockRequest.StatusIoError, 0);
        }
        return (BlockRequest.StatusOk, isWrite ? 0 : request.DataLength);
    }

    private bool Flush()
    {
        try
        {
            _disk.Flush();
            return true;
        }
        catch (KvmException)
        {
            return false;
        }
    }

    /// <summary>
    /// Stops taking requests: waits for the batch under way (every popped request completes),
    /// then flushes the image. Notifications that arrive while paused wait for <see cref="Resume"/>.
    /// </summary>
    public void Pause()
    {
        lock (_lock)
        {
            _paused = true;
            Flush();
        }
    }

    /// <summary>Takes requests again and kicks every queue so nothing posted meanwhile is left waiting.</summary>
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

    public bool IsPaused { get { lock (_lock) return _paused; } }

    public VirtioBlockState Save() => new(VirtioBlockState.CurrentVersion, CapacitySectors, ReadOnly, Serial, QueueCount);

    /// <summary>Accepts saved state only if it describes this very disk as the driver saw it.</summary>
    public void CheckRestore(VirtioBlockState state)
    {
        if (state.Version != VirtioBlockState.CurrentVersion) throw new DeviceStateException($"virtio-blk state version {state.Version} is not supported");
        if (state.CapacitySectors != CapacitySectors) throw new DeviceStateException($"virtio-blk capacity {state.CapacitySectors} sectors in the state, {CapacitySectors} here");
        if (state.ReadOnly != ReadOnly) throw new DeviceStateException($"virtio-blk read-only={state.ReadOnly} in the state, {ReadOnly} here");
        if (state.Serial != Serial) throw new DeviceStateException($"virtio-blk serial '{state.Serial}' in the state, '{Serial}' here");
        if (state.QueueCount != QueueCount) throw new DeviceStateException($"virtio-blk has {state.QueueCount} queues in the state, {QueueCount} here");
    }

    public void Dispose() => _disk.Dispose();
}

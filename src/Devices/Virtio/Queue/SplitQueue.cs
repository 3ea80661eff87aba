using Tern.Kvm.Memory;

namespace Tern.Devices.Virtio.Queue;

/// <summary>
/// The device side of a split virtqueue (virtio 1.2, 2.7) in guest memory: pops descriptor
/// chains from the available ring, validating everything the driver wrote, and pushes used
/// elements. Every guest value is treated as hostile: a protocol violation throws
/// <see cref="VirtqueueException"/>, which the device turns into DEVICE_NEEDS_RESET.
/// One thread (the device's I/O thread) drives a queue at a time.
/// </summary>
public sealed class SplitQueue
{
    /// <summary>The largest queue the split layout allows.</summary>
    public const ushort MaxSize = 32768;

    /// <summary>Throws unless <paramref name="size"/> can be a device's queue size: a power of two, 4..<see cref="MaxSize"/>.</summary>
    public static void CheckDeviceSize(ushort size, string parameter)
    {
        if (size is < 4 or > MaxSize || (size & (size - 1)) != 0)
            throw new ArgumentOutOfRangeException(parameter, "queue size must be a power of two, at least 4");
    }
    private const ushort AvailFlagNoInterrupt = 1;

    private readonly GuestMemory _memory;
    private ushort _nextAvail;
    private ushort _nextUsed;
    private ushort _signalledUsed;
    private bool _signalledValid; // false until the first interrupt decision (and after restore)

    /// <summary>Builds a queue; throws <see cref="VirtqueueException"/> if the layout is invalid (see <see cref="Check"/>).</summary>
    public SplitQueue(GuestMemory memory, ushort size, ulong descTable, ulong availRing, ulong usedRing,
        bool eventIdx, bool indirectDesc, ushort nextAvail = 0, ushort nextUsed = 0)
    {
        if (Check(memory, size, MaxSize, descTable, availRing, usedRing) is { } error) throw new VirtqueueException(error);
        _memory = memory;
        Size = size;
        DescTable = descTable;
        AvailRing = availRing;
        UsedRing = usedRing;
        EventIdx = eventIdx;
        IndirectDesc = indirectDesc;
        _nextAvail = nextAvail;
        _nextUsed = nextUsed;
    }

    public ushort Size { get; }
    public ulong DescTable { get; }
    public ulong AvailRing { get; }
    public ulong UsedRing { get; }
    public bool EventIdx { get; }
    public bool IndirectDesc { get; }
    public ushort NextAvail => _nextAvail;
    public ushort NextUsed => _nextUsed;

    private ulong AvailIdxAddress => AvailRing + 2;
    private ulong UsedEventAddress => AvailRing + 4 + 2UL * Size;
    private ulong UsedIdxAddress => UsedRing + 2;
    private ulong AvailEventAddress => UsedRing + 4 + 8UL * Size;

    /// <summary>
    /// Validates a queue's layout as the driver programmed it: null when usable, else why not.
    /// The size is a power of two up to <paramref name="maxSize"/>; the rings are aligned
    /// (16/2/4) and lie wholly inside guest RAM.
    /// </summary>
    public static string? Check(GuestMemory memory, ushort size, ushort maxSize, ulong descTable, ulong availRing, ulong usedRing)
    {
        if (size == 0 || (size & (size - 1)) != 0 || size > maxSize) return $"queue size {size} is not a power of two in 1..{maxSize}";
        if (descTable % 16 != 0) return $"descriptor table 0x{descTable:x} is not 16-byte aligned";
        if (availRing % 2 != 0) return $"available ring 0x{availRing:x} is not 2-byte aligned";
        if (usedRing % 4 != 0) return $"used ring 0x{usedRing:x} is not 4-byte aligned";
        if (!memory.IsRam(descTable, 16UL * size)) return $"descriptor table 0x{descTable:x}+0x{16 * size:x} is outside guest RAM";
        if (!memory.IsRam(availRing, 6 + 2UL * size)) return $"available ring 0x{availRing:x}+0x{6 + 2 * size:x} is outside guest RAM";
        if (!memory.IsRam(usedRing, 6 + 8UL * size)) return $"used ring 0x{usedRing:x}+0x{6 + 8 * size:x} is outside guest RAM";
        return null;
    }

    /// <summary>True when the driver has made buffers available that were not popped yet.</summary>
    public bool HasAvailable() => _memory.ReadVolatileU16(AvailIdxAddress) != _nextAvail;

    /// <summary>Takes the next available chain, or null when the ring is empty.</summary>
    public DescriptorChain? Pop()
    {
        // The acquire load of idx orders the ring and descriptor reads after it.
        ushort availIdx = _memory.ReadVolatileU16(AvailIdxAddress);
        ushort pending = (ushort)(availIdx - _nextAvail);
        if (pending == 0) return null;
        if (pending > Size) throw new VirtqueueException($"available index {availIdx} is {pending} entries ahead of {_nextAvail} in a queue of {Size}");

        ushort head = _memory.ReadObj<ushort>(AvailRing + 4 + 2UL * (ushort)(_nextAvail % Size));
        _nextAvail++;
        return ReadChain(head);
    }

    /// <summary>Gives back the chain the last <see cref="Pop"/> returned, unused: the next Pop returns it again.</summary>
    public void UndoPop() => _nextAvail--;

    private DescriptorChain ReadChain(ushort head)
    {
        if (head >= Size) throw new VirtqueueException($"chain head {head} is outside a queue of {Size}");
        var buffers = new List<GuestBuffer>();
        ulong table = DescTable;
        uint tableLength = Size;
        uint index = head;
        uint budget = Size; // more descriptors than the table holds means a loop
        bool indirect = false, sawWritable = false;

        while (true)
        {
            if (budget-- == 0) throw new VirtqueueException($"descriptor chain from head {head} loops (longer than {tableLength})");
            var d = _memory.ReadObj<Descriptor>(table + Descriptor.Size * (ulong)index);

            if (d.IsIndirect)
            {
                if (!IndirectDesc) throw new VirtqueueException($"descriptor {index} is indirect but VIRTIO_F_INDIRECT_DESC was not negotiated");
                if (indirect) throw new VirtqueueException($"indirect table at 0x{table:x} holds another indirect descriptor");
                if (d.HasNext) throw new VirtqueueException($"indirect descriptor {index} also has NEXT set");
                if (d.Length == 0 || d.Length % Descriptor.Size != 0 || d.Length / Descriptor.Size > MaxSize)
                    throw new VirtqueueException($"indirect table length {d.Length} is not a multiple of 16 in 16..{MaxSize * Descriptor.Size}");
                if (!_memory.IsRam(d.Address, d.Length)) throw new VirtqueueException($"indirect table 0x{d.Address:x}+0x{d.Length:x} is outside guest RAM");
                table = d.Address;
                tableLength = d.Length / Descriptor.Size;
                budget = tableLength;
                index = 0;
                indirect = true;
                continue;
            }

            if (d.Length == 0) throw new VirtqueueException($"descriptor {index} has length 0");
            if (!_memory.IsRam(d.Address, d.Length)) throw new VirtqueueException($"buffer 0x{d.Address:x}+0x{d.Length:x} is outside guest RAM");
            if (d.IsWrite) sawWritable = true;
            else if (sawWritable) throw new VirtqueueException($"device-readable descriptor {index} follows a device-writable one");
            buffers.Add(new GuestBuffer(d.Address, d.Length, d.IsWrite));

            if (!d.HasNext) break;
            if (d.Next >= tableLength) throw new VirtqueueException($"descriptor {index} links to {d.Next}, outside a table of {tableLength}");
            index = d.Next;
        }
        return new DescriptorChain(head, buffers);
    }

    /// <summary>Returns a chain to the driver: writes the element, then publishes the index.</summary>
    public void AddUsed(ushort head, uint writtenLength)
    {
        ulong element = UsedRing + 4 + 8UL * (ushort)(_nextUsed % Size);
        _memory.WriteObj(element, (uint)head);
        _memory.WriteObj(element + 4, writtenLength);
        _nextUsed++;
        // Release store: the element is visible to the driver before the index that covers it.
        _memory.WriteVolatileU16(UsedIdxAddress, _nextUsed);
    }

    /// <summary>
    /// Whether the driver wants an interrupt for the used entries added since the last decision:
    /// VRING_AVAIL_F_NO_INTERRUPT, or with event-idx the driver's used_event threshold.
    /// </summary>
    public bool NeedsNotification()
    {
        // The used index store must be visible before the driver's suppression fields are read.
        Interlocked.MemoryBarrier();
        if (!EventIdx) return (_memory.ReadVolatileU16(AvailRing) & AvailFlagNoInterrupt) == 0;

        ushort usedEvent = _memory.ReadVolatileU16(UsedEventAddress);
        ushort previous = _signalledUsed;
        bool first = !_signalledValid;
        _signalledUsed = _nextUsed;
        _signalledValid = true;
        return first || (ushort)(_nextUsed - usedEvent - 1) < (ushort)(_nextUsed - previous);
    }

    /// <summary>
    /// Asks the driver to notify on its next buffer (with event-idx: avail_event = next) and
    /// returns true if buffers arrived meanwhile, in which case the caller should keep popping.
    /// </summary>
    public bool EnableNotification()
    {
        if (EventIdx)
        {
            _memory.WriteVolatileU16(AvailEventAddress, _nextAvail);
            Interlocked.MemoryBarrier();
        }
        return HasAvailable();
    }

    public SplitQueueState Save() =>
        new(SplitQueueState.CurrentVersion, Size, Ready: true, DescTable, AvailRing, UsedRing, _nextAvail, _nextUsed, EventIdx, IndirectDesc);

    /// <summary>Rebuilds a queue from untrusted saved state; throws <see cref="VirtqueueException"/> saying what is wrong.</summary>
    public static SplitQueue Restore(SplitQueueState state, GuestMemory memory, ushort maxSize)
    {
        if (state.Version != SplitQueueState.CurrentVersion) throw new VirtqueueException($"queue state version {state.Version} is not supported");
        if (!state.Ready) throw new VirtqueueException("queue state is not ready");
        if (Check(memory, state.Size, maxSize, state.DescTable, state.AvailRing, state.UsedRing) is { } error) throw new VirtqueueException(error);
        if ((ushort)(state.NextAvail - state.NextUsed) > state.Size)
            throw new VirtqueueException($"queue state has {(ushort)(state.NextAvail - state.NextUsed)} chains in flight in a queue of {state.Size}");
        return new SplitQueue(memory, state.Size, state.DescTable, state.AvailRing, state.UsedRing,
            state.EventIdx, state.IndirectDesc, state.NextAvail, state.NextUsed);
    }
}

namespace Tern.Devices.Bus;

/// <summary>
/// A set of non-overlapping address ranges, each owned by one device: the port-I/O bus or the
/// MMIO bus. Lookups run on vCPU threads without locks (the range table is replaced, never edited).
/// </summary>
public sealed class DeviceBus(string name)
{
    private readonly record struct Range(ulong Start, ulong Length, IBusDevice Device);

    private Range[] _ranges = [];
    private readonly Lock _writeLock = new();

    public string Name { get; } = name;

    /// <summary>Adds a device at [start, start+length); throws when it overlaps another.</summary>
    public void Insert(IBusDevice device, ulong start, ulong length)
    {
        if (length == 0) throw new ArgumentOutOfRangeException(nameof(length), "empty bus range");
        lock (_writeLock)
        {
            foreach (var r in _ranges)
                if (start < r.Start + r.Length && r.Start < start + length)
                    throw new InvalidOperationException($"{Name}: range 0x{start:x}+0x{length:x} overlaps 0x{r.Start:x}+0x{r.Length:x}");
            // Array copies rather than LINQ: framework generics over this struct would be
            // JIT-compiled at every VM start (ReadyToRun cannot precompile them).
            int at = 0;
            while (at < _ranges.Length && _ranges[at].Start < start) at++;
            var next = new Range[_ranges.Length + 1];
            Array.Copy(_ranges, next, at);
            next[at] = new Range(start, length, device);
            Array.Copy(_ranges, at, next, at + 1, _ranges.Length - at);
            Volatile.Write(ref _ranges, next);
        }
    }

    /// <summary>Removes the device's range that starts at <paramref name="start"/>, if any.</summary>
    public bool Remove(ulong start)
    {
        lock (_writeLock)
        {
            int at = 0;
            while (at < _ranges.Length && _ranges[at].Start != start) at++;
            if (at == _ranges.Length) return false;
            var next = new Range[_ranges.Length - 1];
            Array.Copy(_ranges, next, at);
            Array.Copy(_ranges, at + 1, next, at, next.Length - at);
            Volatile.Write(ref _ranges, next);
            return true;
        }
    }

    /// <summary>Moves a device's range (a BAR the guest reprogrammed).</summary>
    public void Move(ulong oldStart, IBusDevice device, ulong newStart, ulong length)
    {
        lock (_writeLock)
        {
            Remove(oldStart);
            Insert(device, newStart, length);
        }
    }

    private bool TryFind(ulong address, int size, out IBusDevice device, out ulong offset)
    {
        var ranges = Volatile.Read(ref _ranges);
        int lo = 0, hi = ranges.Length - 1;
        while (lo <= hi)
        {
            int mid = (lo + hi) >>> 1;
            var r = ranges[mid];
            if (address < r.Start) hi = mid - 1;
            else if (address >= r.Start + r.Length) lo = mid + 1;
            else
            {
                device = r.Device;
                offset = address - r.Start;
                return offset + (ulong)size <= r.Length;
            }
        }
        device = null!;
        offset = 0;
        return false;
    }

    /// <summary>Dispatches a read; returns false (and leaves data as all-ones) when nothing is there.</summary>
    public bool Read(ulong address, Span<byte> data)
    {
        if (TryFind(address, data.Length, out var device, out var offset))
        {
            device.Read(offset, data);
            return true;
        }
        data.Fill(0xff);
        return false;
    }

    /// <summary>Dispatches a write; returns false when nothing is there (the write is dropped).</summary>
    public bool Write(ulong address, ReadOnlySpan<byte> data)
    {
        if (!TryFind(address, data.Length, out var device, out var offset)) return false;
        device.Write(offset, data);
        return true;
    }
}

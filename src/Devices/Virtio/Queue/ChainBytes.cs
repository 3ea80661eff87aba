using Tern.Kvm.Memory;

namespace Tern.Devices.Virtio.Queue;

/// <summary>A piece of guest memory small enough for one span.</summary>
public readonly record struct GuestRange(ulong Address, int Length);

/// <summary>
/// Treats a chain's device-readable buffers, or its device-writable ones, as one byte stream
/// (virtio places no meaning on how a driver splits a message into descriptors).
/// </summary>
public static class ChainBytes
{
    private const int MaxPiece = 1 << 20;

    /// <summary>The guest ranges holding bytes [<paramref name="offset"/>, +<paramref name="length"/>) of one stream.</summary>
    public static List<GuestRange> Ranges(IReadOnlyList<GuestBuffer> buffers, bool writable, ulong offset, ulong length)
    {
        var ranges = new List<GuestRange>();
        foreach (var b in buffers)
        {
            if (b.Writable != writable) continue;
            if (length == 0) break;
            if (offset >= b.Length)
            {
                offset -= b.Length;
                continue;
            }
            ulong address = b.Address + offset;
            ulong take = Math.Min(b.Length - offset, length);
            offset = 0;
            length -= take;
            while (take > 0)
            {
                int piece = (int)Math.Min(take, MaxPiece);
                ranges.Add(new GuestRange(address, piece));
                address += (ulong)piece;
                take -= (ulong)piece;
            }
        }
        return ranges;
    }

    /// <summary>Copies from guest ranges, starting <paramref name="skip"/> bytes in, into <paramref name="destination"/>.</summary>
    public static int Gather(GuestMemory memory, IReadOnlyList<GuestRange> ranges, long skip, Span<byte> destination)
    {
        int done = 0;
        foreach (var r in ranges)
        {
            if (done == destination.Length) break;
            if (skip >= r.Length)
            {
                skip -= r.Length;
                continue;
            }
            int n = Math.Min(r.Length - (int)skip, destination.Length - done);
            memory.Read(r.Address + (ulong)skip, destination.Slice(done, n));
            done += n;
            skip = 0;
        }
        return done;
    }

    /// <summary>Copies <paramref name="source"/> into guest ranges, starting <paramref name="skip"/> bytes in.</summary>
    public static int Scatter(GuestMemory memory, IReadOnlyList<GuestRange> ranges, long skip, ReadOnlySpan<byte> source)
    {
        int done = 0;
        foreach (var r in ranges)
        {
            if (done == source.Length) break;
            if (skip >= r.Length)
            {
                skip -= r.Length;
                continue;
            }
            int n = Math.Min(r.Length - (int)skip, source.Length - done);
            memory.Write(r.Address + (ulong)skip, source.Slice(done, n));
            done += n;
            skip = 0;
        }
        return done;
    }
}

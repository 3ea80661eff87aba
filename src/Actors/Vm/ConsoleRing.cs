using Tern.Devices.Board;

namespace Tern.Actors.Vm;

/// <summary>
/// A VM's serial output kept in memory for <c>tern ctl console</c>: the last <c>capacity</c> bytes,
/// addressed by their offset in everything the guest ever wrote, so a follower asks for "from where
/// I stopped" and learns when it fell behind. Written on the vCPU thread, read from the host actor.
/// </summary>
public sealed class ConsoleRing(int capacity) : WriteOnlyStream, IConsoleHistory
{
    private readonly byte[] _buffer = new byte[capacity];
    private readonly Lock _gate = new();
    private long _written;
    /// <summary>Bytes written since the last <see cref="Continue"/> (or ever): the guest's own output here.</summary>
    private long _own;

    /// <summary>How many bytes the guest has written in all (the offset the next byte gets).</summary>
    public long Written
    {
        get
        {
            lock (_gate) return _written;
        }
    }

    /// <summary>Bytes from <paramref name="from"/> (at most <paramref name="max"/>), the offset after them, and whether older bytes were lost.</summary>
    public (byte[] Data, long From, long Next, bool Truncated) Read(long from, int max)
    {
        lock (_gate)
        {
            long oldest = Math.Max(0, _written - _buffer.Length);
            bool truncated = from < oldest;
            long start = Math.Clamp(from, oldest, _written);
            int count = (int)Math.Min(max, _written - start);
            var data = new byte[count];
            for (int done = 0; done < count;)
            {
                int at = (int)((start + done) % _buffer.Length);
                int run = Math.Min(count - done, _buffer.Length - at);
                Array.Copy(_buffer, at, data, done, run);
                done += run;
            }
            return (data, start, start + count, truncated);
        }
    }

    public (long Written, byte[] Tail) Snapshot()
    {
        var (data, _, next, _) = Read(0, _buffer.Length); // from the oldest byte kept to the end
        return (next, data);
    }

    /// <summary>
    /// Goes on where another history left off. A standby takes each committed checkpoint's history
    /// this way, so it may be called again as long as its own guest has written nothing.
    /// </summary>
    public void Continue(long written, ReadOnlySpan<byte> tail)
    {
        lock (_gate)
        {
            if (_own != 0) throw new InvalidOperationException("the console already has output of its own");
            if (tail.Length > written) throw new ArgumentException($"a tail of {tail.Length} bytes cannot follow {written} bytes in all", nameof(tail));
            _written = written - tail.Length;
            Append(tail);
        }
    }

    public override void Write(ReadOnlySpan<byte> data)
    {
        lock (_gate)
        {
            _own += data.Length;
            Append(data);
        }
    }

    private void Append(ReadOnlySpan<byte> data)
    {
        if (data.Length > _buffer.Length)
        {
            _written += data.Length - _buffer.Length;
            data = data[^_buffer.Length..];
        }
        while (!data.IsEmpty)
        {
            int at = (int)(_written % _buffer.Length);
            int run = Math.Min(data.Length, _buffer.Length - at);
            data[..run].CopyTo(_buffer.AsSpan(at));
            _written += run;
            data = data[run..];
        }
    }
}

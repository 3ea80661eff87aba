namespace Tern.Actors.Migration.Engine.Wire;

/// <summary>
/// Exact reads from the socket for the reader: small fields come through a buffer (one recv for
/// many headers), large spans (page data straight into guest memory) go past it. The end of the
/// stream and I/O errors become <see cref="MigrationStreamException"/>s naming what was being read.
/// </summary>
internal sealed class StreamInput(Stream stream)
{
    private readonly byte[] _buffer = new byte[64 << 10];
    private int _start, _end;

    /// <summary>Bytes consumed so far.</summary>
    public long Position { get; private set; }

    /// <summary>Bytes received but not consumed yet.</summary>
    public int Buffered => _end - _start;

    /// <summary>Fills <paramref name="destination"/>; <paramref name="what"/> names the place for the error message.</summary>
    public void ReadExactly(Span<byte> destination, string what)
    {
        int done = 0;
        while (done < destination.Length)
        {
            if (_start == _end)
            {
                int wanted = destination.Length - done;
                if (wanted >= _buffer.Length)
                {
                    done += Receive(destination[done..], what, destination.Length - done);
                    continue;
                }
                _start = 0;
                _end = Receive(_buffer, what, wanted);
            }
            int n = Math.Min(_end - _start, destination.Length - done);
            _buffer.AsSpan(_start, n).CopyTo(destination[done..]);
            _start += n;
            done += n;
        }
        Position += destination.Length;
    }

    /// <summary>True when the stream ended cleanly before another byte (between sections).</summary>
    public bool AtEnd(string what)
    {
        if (_start != _end) return false;
        _start = 0;
        _end = Receive(_buffer, what, 0);
        return _end == 0;
    }

    private int Receive(Span<byte> into, string what, int missing)
    {
        int n;
        try
        {
            n = stream.Read(into);
        }
        catch (IOException e)
        {
            throw new MigrationStreamException($"connection failed while reading {what}", e, linkLost: true);
        }
        if (n == 0 && missing > 0) throw new MigrationStreamException($"stream ended inside {what} ({missing} bytes missing)", linkLost: true);
        return n;
    }
}

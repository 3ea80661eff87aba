namespace Tern.Host.Qmp;

/// <summary>What <see cref="LineFramer"/> found in the bytes it was given.</summary>
public abstract record QmpFrame
{
    /// <summary>A complete line, without its "\n" or "\r\n".</summary>
    public sealed record Line(byte[] Bytes) : QmpFrame;

    /// <summary>A line longer than the limit ended here; its bytes were discarded as they arrived.</summary>
    public sealed record TooLong(long Length) : QmpFrame;
}

/// <summary>
/// Cuts a QMP byte stream into lines ending in "\n" (a "\r" before it is dropped). A line may hold
/// at most <see cref="MaxLineBytes"/> bytes: a longer one is not buffered, only counted, and is
/// reported as <see cref="QmpFrame.TooLong"/> where it ends, so its error reply keeps its place
/// among the client's replies and the connection stays usable. Memory stays bounded by the limit.
/// </summary>
public sealed class LineFramer(int maxLineBytes = LineFramer.DefaultMaxLineBytes)
{
    public const int DefaultMaxLineBytes = 1 << 20;

    // Grows on demand up to one byte more than the limit (room for the "\r" of a "\r\n" ending).
    private byte[] _line = new byte[Math.Min(4096, maxLineBytes + 1)];
    private int _length;
    private long _discarded = -1; // the length of an over-long line so far; -1 when none is being skipped

    public int MaxLineBytes { get; } = maxLineBytes;

    /// <summary>True when bytes of an unfinished line are pending (a client that leaves now leaves mid-line).</summary>
    public bool HasPartialLine => _length > 0 || _discarded >= 0;

    /// <summary>Feeds received bytes; appends a frame to <paramref name="frames"/> for every line they complete.</summary>
    public void Push(ReadOnlySpan<byte> data, List<QmpFrame> frames)
    {
        while (!data.IsEmpty)
        {
            int newline = data.IndexOf((byte)'\n');
            var part = newline < 0 ? data : data[..newline];
            Append(part);
            if (newline < 0) return;
            frames.Add(EndLine());
            data = data[(newline + 1)..];
        }
    }

    private void Append(ReadOnlySpan<byte> part)
    {
        if (_discarded >= 0)
        {
            _discarded += part.Length;
        }
        else if (_length + part.Length > MaxLineBytes + 1)
        {
            _discarded = _length + part.Length;
            _length = 0;
        }
        else
        {
            if (_length + part.Length > _line.Length)
                Array.Resize(ref _line, (int)Math.Min(MaxLineBytes + 1L, Math.Max(_line.Length * 2L, _length + part.Length)));
            part.CopyTo(_line.AsSpan(_length));
            _length += part.Length;
        }
    }

    private QmpFrame EndLine()
    {
        QmpFrame frame;
        if (_discarded >= 0)
        {
            frame = new QmpFrame.TooLong(_discarded);
        }
        else
        {
            int length = _length > 0 && _line[_length - 1] == (byte)'\r' ? _length - 1 : _length;
            frame = length > MaxLineBytes ? new QmpFrame.TooLong(length) : new QmpFrame.Line(_line.AsSpan(0, length).ToArray());
        }
        _length = 0;
        _discarded = -1;
        if (_line.Length > 64 * 1024) _line = new byte[4096]; // one big request must not pin a megabyte per client
        return frame;
    }
}

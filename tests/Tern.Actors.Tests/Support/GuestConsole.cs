using System.Text;

namespace Tern.Actors.Tests.Support;

/// <summary>A serial console sink that keeps the guest's lines so a test can wait for them.</summary>
public sealed class GuestConsole : Stream
{
    private readonly List<string> _lines = [];
    private readonly StringBuilder _partial = new();
    private readonly Lock _gate = new();

    public IReadOnlyList<string> Lines
    {
        get { lock (_gate) return _lines.ToArray(); }
    }

    public override void Write(ReadOnlySpan<byte> buffer)
    {
        lock (_gate)
            foreach (byte b in buffer)
            {
                if (b == '\n')
                {
                    _lines.Add(_partial.ToString());
                    _partial.Clear();
                }
                else _partial.Append((char)b);
            }
    }

    public override void Write(byte[] buffer, int offset, int count) => Write(buffer.AsSpan(offset, count));

    public string WaitFor(Func<string, bool> predicate, TimeSpan timeout)
    {
        var deadline = DateTime.UtcNow + timeout;
        while (DateTime.UtcNow < deadline)
        {
            lock (_gate)
                foreach (var l in _lines)
                    if (predicate(l)) return l;
            Thread.Sleep(10);
        }
        throw new TimeoutException("console line not seen; last lines:\n" + string.Join("\n", Lines.TakeLast(20)));
    }

    public IReadOnlyList<int> Ticks() => Lines.Where(l => l.StartsWith("TICK ", StringComparison.Ordinal)).Select(l => int.Parse(l[5..])).ToArray();

    public override void Flush() { }
    public override bool CanRead => false;
    public override bool CanSeek => false;
    public override bool CanWrite => true;
    public override long Length => throw new NotSupportedException();
    public override long Position { get => throw new NotSupportedException(); set => throw new NotSupportedException(); }
    public override int Read(byte[] buffer, int offset, int count) => throw new NotSupportedException();
    public override long Seek(long offset, SeekOrigin origin) => throw new NotSupportedException();
    public override void SetLength(long value) => throw new NotSupportedException();
}

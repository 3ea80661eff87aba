using System.Globalization;
using System.Text;

namespace Tern.Actors.Tests.Vm;

/// <summary>The guest's serial console as a write-only stream whose lines a test can wait for.</summary>
public sealed class ConsoleCapture : Stream
{
    private readonly List<string> _lines = [];
    private readonly StringBuilder _partial = new();
    private readonly Lock _gate = new();

    public IReadOnlyList<string> Lines
    {
        get { lock (_gate) return _lines.ToArray(); }
    }

    /// <summary>The TICK numbers printed so far, in order.</summary>
    public IReadOnlyList<int> Ticks =>
        Lines.Where(l => l.StartsWith("TICK ", StringComparison.Ordinal)).Select(l => int.Parse(l[5..], CultureInfo.InvariantCulture)).ToArray();

    public int LastTick => Ticks.LastOrDefault();

    /// <summary>How many lines are exactly <paramref name="line"/>.</summary>
    public int Count(string line) => Lines.Count(l => l == line);

    /// <summary>Waits until <paramref name="condition"/> holds over the lines; throws with the output on timeout.</summary>
    public void WaitUntil(Func<ConsoleCapture, bool> condition, TimeSpan timeout)
    {
        var deadline = DateTime.UtcNow + timeout;
        while (!condition(this))
        {
            if (DateTime.UtcNow > deadline)
                throw new TimeoutException("the guest did not print what was expected:\n" + string.Join("\n", Lines.TakeLast(30)));
            Thread.Sleep(20);
        }
    }

    public void WaitForTick(int n, TimeSpan timeout) => WaitUntil(c => c.LastTick >= n, timeout);

    public override void Write(byte[] buffer, int offset, int count) => Write(buffer.AsSpan(offset, count));

    public override void Write(ReadOnlySpan<byte> buffer)
    {
        lock (_gate)
        {
            foreach (byte b in buffer)
            {
                if (b == (byte)'\n')
                {
                    _lines.Add(_partial.ToString().TrimEnd('\r'));
                    _partial.Clear();
                }
                else
                {
                    _partial.Append((char)b);
                }
            }
        }
    }

    public override void WriteByte(byte value) => Write([value]);

    public override bool CanRead => false;
    public override bool CanSeek => false;
    public override bool CanWrite => true;
    public override long Length => throw new NotSupportedException();
    public override long Position { get => throw new NotSupportedException(); set => throw new NotSupportedException(); }
    public override void Flush() { }
    public override int Read(byte[] buffer, int offset, int count) => throw new NotSupportedException();
    public override long Seek(long offset, SeekOrigin origin) => throw new NotSupportedException();
    public override void SetLength(long value) => throw new NotSupportedException();
}

using System.Collections.Concurrent;
using Tern.TestSupport.Net;

namespace Tern.EndToEnd.Tests.Net;

/// <summary>
/// Reads every frame arriving on a packet socket on its own thread, so none is missed while the
/// test does something else: frames are handed out in order by <see cref="Next"/> and all of them
/// stay in <see cref="Log"/> with their arrival time.
/// </summary>
public sealed class FrameCollector : IDisposable
{
    private readonly PacketSocket _socket;
    private readonly BlockingCollection<byte[]> _pending = new();
    private readonly List<(DateTime At, byte[] Frame)> _log = [];
    private readonly Thread _reader;
    private volatile bool _stopping;

    public FrameCollector(TapInterface tap) : this(new PacketSocket(tap), tap.Name)
    {
    }

    /// <summary>Collects what arrives on <paramref name="socket"/>, which it then owns.</summary>
    public FrameCollector(PacketSocket socket, string name)
    {
        _socket = socket;
        _reader = new Thread(Read) { IsBackground = true, Name = $"frames-{name}" };
        _reader.Start();
    }

    public void Send(byte[] frame) => _socket.Send(frame);

    public IReadOnlyList<(DateTime At, byte[] Frame)> Log
    {
        get { lock (_log) return _log.ToArray(); }
    }

    /// <summary>The next frame (in arrival order) that satisfies <paramref name="accept"/>; others are skipped. Null on timeout.</summary>
    public byte[]? Next(Func<byte[], bool> accept, TimeSpan timeout)
    {
        var deadline = DateTime.UtcNow + timeout;
        while (true)
        {
            var left = deadline - DateTime.UtcNow;
            if (left <= TimeSpan.Zero || !_pending.TryTake(out var frame, left)) return null;
            if (accept(frame)) return frame;
        }
    }

    private void Read()
    {
        while (!_stopping)
        {
            var frame = _socket.Receive(TimeSpan.FromMilliseconds(100));
            if (frame is null) continue;
            lock (_log) _log.Add((DateTime.UtcNow, frame));
            _pending.Add(frame);
        }
    }

    public void Dispose()
    {
        _stopping = true;
        _reader.Join();
        _socket.Dispose();
        _pending.Dispose();
    }
}

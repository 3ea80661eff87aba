using Tern.Devices.Legacy.Serial;

namespace Tern.Devices.Board;

/// <summary>
/// The serial console's output commit for a replicated guest (Remus's rule): once holding begins,
/// what the guest writes is kept here, marked with the epoch that produced it, and reaches the
/// real sink (stdout, the console ring) only when <see cref="Release"/> says the checkpoint of that
/// epoch is committed on the standby. A takeover then never shows a line the standby's guest did
/// not write. Not holding, bytes pass straight through.
/// <para>As the console's history (when the sink keeps one) it reports the held bytes too: a
/// checkpoint carries all the output up to its capture, so the standby's ring, once promoted, goes
/// on exactly where the released output will have reached.</para>
/// </summary>
public sealed class HeldConsole(ISerialSink sink, IConsoleHistory? history) : ISerialSink, IConsoleHistory
{
    /// <summary>More than a guest's serial port writes in a long epoch; beyond it bytes are dropped and counted.</summary>
    public const int MaxHeldBytes = 4 << 20;

    private readonly Lock _gate = new();
    private readonly List<byte> _held = [];
    /// <summary>(epoch, held bytes that epoch and the ones before it produced), oldest first.</summary>
    private readonly Queue<(long Epoch, int End)> _marks = new();
    private bool _holding;

    /// <summary>Bytes the guest wrote that did not fit while held, and are lost.</summary>
    public long Dropped { get; private set; }

    /// <summary>Whether the sink keeps a history (a cluster VM's console ring) that migrations carry.</summary>
    public bool HasHistory => history is not null;

    public void Write(ReadOnlySpan<byte> bytes)
    {
        lock (_gate)
        {
            if (!_holding)
            {
                sink.Write(bytes);
                return;
            }
            int room = Math.Max(0, MaxHeldBytes - _held.Count);
            _held.AddRange(bytes[..Math.Min(room, bytes.Length)]);
            Dropped += Math.Max(0, bytes.Length - room);
        }
    }

    /// <summary>
    /// With the guest paused at checkpoint <paramref name="epoch"/> - 1: what was written so far
    /// belongs to that checkpoint, what comes next to epoch <paramref name="epoch"/>. Holding starts
    /// at the first call.
    /// </summary>
    public void Begin(long epoch)
    {
        lock (_gate)
        {
            if (_holding) _marks.Enqueue((epoch - 1, _held.Count));
            _holding = true;
        }
    }

    /// <summary>The checkpoints up to <paramref name="epoch"/> are committed: their output goes out.</summary>
    public void Release(long epoch)
    {
        lock (_gate)
        {
            int end = 0;
            while (_marks.TryPeek(out var m) && m.Epoch <= epoch) end = _marks.Dequeue().End;
            Flush(end);
        }
    }

    /// <summary>Replication ended with the guest here: everything held goes out and output flows freely.</summary>
    public void ReleaseAll()
    {
        lock (_gate)
        {
            Flush(_held.Count);
            _marks.Clear();
            _holding = false;
        }
    }

    /// <summary>The guest stopped because the standby may have taken over: nothing held may ever go out.</summary>
    public void Discard()
    {
        lock (_gate)
        {
            _held.Clear();
            _marks.Clear();
        }
    }

    private void Flush(int end)
    {
        if (end == 0) return;
        sink.Write(System.Runtime.InteropServices.CollectionsMarshal.AsSpan(_held)[..end]);
        _held.RemoveRange(0, end);
        var rest = _marks.Select(m => (m.Epoch, m.End - end)).ToArray();
        _marks.Clear();
        foreach (var m in rest) _marks.Enqueue(m);
    }

    public (long Written, byte[] Tail) Snapshot()
    {
        if (history is null) throw new InvalidOperationException("this console keeps no history");
        lock (_gate)
        {
            var (written, tail) = history.Snapshot();
            return (written + _held.Count, [.. tail, .. _held]);
        }
    }

    public void Continue(long written, ReadOnlySpan<byte> tail)
    {
        if (history is null) throw new InvalidOperationException("this console keeps no history");
        history.Continue(written, tail);
    }
}

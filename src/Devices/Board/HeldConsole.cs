using Tern.Devices.Legacy.Serial;

namespace Tern.Devices.Board;

/// <summary>
/// The serial console's output commit for a replicated guest (Remus's rule): once holding begins,
/// what the guest writes is kept here by the epoch that produced it and reaches the real sink
/// (stdout, the console ring) only when the checkpoint of that epoch is committed on the standby.
/// A takeover then never shows a line the standby's guest did not write. Not holding, bytes pass
/// straight through.
/// <para>As the console's history (when the sink keeps one) it reports the held bytes too: a
/// checkpoint carries all the output up to its capture, so the standby's ring, once promoted, goes
/// on exactly where the released output will have reached.</para>
/// </summary>
public sealed class HeldConsole(ISerialSink sink, IConsoleHistory? history) : ISerialSink, IConsoleHistory, IHeldOutput
{
    /// <summary>More than a guest's serial port writes in a long epoch; beyond it bytes are dropped and counted.</summary>
    public const int MaxHeldBytes = 4 << 20;

    private readonly Lock _gate = new();
    private readonly HeldOutput<byte[]> _held = new(MaxHeldBytes, b => b.Length);
    private bool _holding;
    private long _epoch;

    /// <summary>Bytes the guest wrote that did not fit while held, and are lost.</summary>
    public long Dropped { get; private set; }

    /// <summary>Whether the sink keeps a history (a cluster VM's console ring) that migrations carry.</summary>
    public bool HasHistory => history is not null;

    public void Write(ReadOnlySpan<byte> bytes)
    {
        lock (_gate)
        {
            if (!_holding) sink.Write(bytes);
            else if (!_held.Add(_epoch, bytes.ToArray())) Dropped += bytes.Length;
        }
    }

    public void Begin(long epoch)
    {
        lock (_gate) (_holding, _epoch) = (true, epoch);
    }

    public void Release(long epoch)
    {
        lock (_gate)
            foreach (var chunk in _held.Release(epoch)) sink.Write(chunk);
    }

    public void ReleaseAll()
    {
        lock (_gate)
        {
            foreach (var chunk in _held.Release(long.MaxValue)) sink.Write(chunk);
            _holding = false;
        }
    }

    public void Discard()
    {
        lock (_gate) _held.Discard();
    }

    public (long Written, byte[] Tail) Snapshot()
    {
        if (history is null) throw new InvalidOperationException("this console keeps no history");
        lock (_gate)
        {
            var (written, tail) = history.Snapshot();
            byte[] held = [.. _held.Items.SelectMany(b => b)];
            return (written + held.Length, [.. tail, .. held]);
        }
    }

    public void Continue(long written, ReadOnlySpan<byte> tail)
    {
        if (history is null) throw new InvalidOperationException("this console keeps no history");
        history.Continue(written, tail);
    }
}

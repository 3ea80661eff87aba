using Tern.Devices.Legacy.Serial;

namespace Tern.Devices.Board;

/// <summary>
/// The serial console's output commit for a replicated guest (Remus's rule): once holding begins,
/// what the guest writes is kept by the epoch that produced it and reaches the real sink (stdout,
/// the console ring) only when the checkpoint of that epoch is committed on the standby
/// (<see cref="HeldBytes"/>). A takeover then never shows a line the standby's guest did not write.
/// <para>As the console's history (when the sink keeps one) it reports the held bytes too: a
/// checkpoint carries all the output up to its capture, so the standby's ring, once promoted, goes
/// on exactly where the released output will have reached.</para>
/// </summary>
public sealed class HeldConsole : ISerialSink, IConsoleHistory, IHeldOutput
{
    /// <summary>More than a guest's serial port writes in a long epoch; beyond it bytes are dropped and counted.</summary>
    public const int MaxHeldBytes = 4 << 20;

    private readonly IConsoleHistory? _history;
    private readonly HeldBytes _held;

    public HeldConsole(ISerialSink sink, IConsoleHistory? history)
    {
        _history = history;
        _held = new HeldBytes(MaxHeldBytes, bytes =>
        {
            sink.Write(bytes);
            return true;
        });
    }

    /// <summary>Bytes the guest wrote that did not fit while held, and are lost.</summary>
    public long Dropped { get; private set; }

    /// <summary>Whether the sink keeps a history (a cluster VM's console ring) that migrations carry.</summary>
    public bool HasHistory => _history is not null;

    public void Write(ReadOnlySpan<byte> bytes)
    {
        if (!_held.Offer(bytes)) Dropped += bytes.Length;
    }

    public void Begin(long epoch) => _held.Begin(epoch);

    public void Release(long epoch) => _held.Release(epoch);

    public void ReleaseAll() => _held.ReleaseAll();

    public void Discard() => _held.Discard();

    public (long Written, byte[] Tail) Snapshot()
    {
        if (_history is null) throw new InvalidOperationException("this console keeps no history");
        // The guest is paused at a checkpoint: nothing is written or released between the two reads.
        var held = _held.Held();
        var (written, tail) = _history.Snapshot();
        return (written + held.Length, [.. tail, .. held]);
    }

    public void Continue(long written, ReadOnlySpan<byte> tail)
    {
        if (_history is null) throw new InvalidOperationException("this console keeps no history");
        _history.Continue(written, tail);
    }
}

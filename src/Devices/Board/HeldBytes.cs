namespace Tern.Devices.Board;

/// <summary>
/// Byte output (console writes, network frames) under output commit, for <see cref="HeldConsole"/>
/// and the NICs' HeldFrames: not holding, each piece goes straight to the sink; holding, it is
/// kept by the epoch that produced it until that epoch is released. Thread-safe: the device offers,
/// the replication releases.
/// </summary>
public sealed class HeldBytes(long limitBytes, HeldBytes.Sink sink) : IHeldOutput
{
    /// <summary>Where released bytes go; false when the sink dropped them.</summary>
    public delegate bool Sink(ReadOnlySpan<byte> bytes);

    private readonly Lock _gate = new();
    private readonly HeldOutput<byte[]> _held = new(limitBytes, b => b.Length);
    private bool _holding;
    private long _epoch;

    /// <summary>Sends <paramref name="bytes"/> now, or holds a copy; false when the sink dropped them or too much is held.</summary>
    public bool Offer(ReadOnlySpan<byte> bytes)
    {
        lock (_gate) return _holding ? _held.Add(_epoch, bytes.ToArray()) : sink(bytes);
    }

    /// <summary>Everything held now, oldest first.</summary>
    public byte[] Held()
    {
        lock (_gate) return [.. _held.Items.SelectMany(b => b)];
    }

    public void Begin(long epoch)
    {
        lock (_gate) (_holding, _epoch) = (true, epoch);
    }

    public void Release(long epoch)
    {
        lock (_gate)
            foreach (var piece in _held.Release(epoch)) sink(piece);
    }

    public void ReleaseAll()
    {
        lock (_gate)
        {
            foreach (var piece in _held.ReleaseAll()) sink(piece);
            _holding = false;
        }
    }

    public void Discard()
    {
        lock (_gate) _held.Discard();
    }
}

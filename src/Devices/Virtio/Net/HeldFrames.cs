using Tern.Devices.Board;

namespace Tern.Devices.Virtio.Net;

/// <summary>
/// A NIC's backend under Remus's output commit: while its machine is replicated, each frame the
/// guest sends is kept by the epoch that produced it and goes out on the real backend only when
/// that epoch's checkpoint is committed, so a peer never sees a frame the standby's guest would not
/// have sent. Past <see cref="MaxHeldBytes"/> frames are dropped, as a congested link drops them.
/// Receiving is untouched: a frame that arrives belongs to the guest at once.
/// </summary>
public sealed class HeldFrames(INetBackend inner) : INetBackend, IHeldOutput
{
    public const int MaxHeldBytes = 16 << 20;

    private readonly Lock _gate = new();
    private readonly HeldOutput<byte[]> _held = new(MaxHeldBytes, f => f.Length);
    private bool _holding;
    private long _epoch;

    /// <summary>Frames dropped because too much was held.</summary>
    public long Dropped { get; private set; }

    public int Receive(Span<byte> frame) => inner.Receive(frame);

    public bool Send(ReadOnlySpan<byte> frame)
    {
        lock (_gate)
        {
            if (!_holding) return inner.Send(frame);
            if (_held.Add(_epoch, frame.ToArray())) return true;
            Dropped++;
            return false;
        }
    }

    public void Begin(long epoch)
    {
        lock (_gate) (_holding, _epoch) = (true, epoch);
    }

    public void Release(long epoch)
    {
        lock (_gate)
            foreach (var frame in _held.Release(epoch)) inner.Send(frame);
    }

    public void ReleaseAll()
    {
        lock (_gate)
        {
            foreach (var frame in _held.Release(long.MaxValue)) inner.Send(frame);
            _holding = false;
        }
    }

    public void Discard()
    {
        lock (_gate) _held.Discard();
    }

    public void Dispose() => inner.Dispose();
}

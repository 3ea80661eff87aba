using Tern.Devices.Board;

namespace Tern.Devices.Virtio.Net;

/// <summary>
/// A NIC's backend under Remus's output commit: while its machine is replicated, each frame the
/// guest sends is kept by the epoch that produced it and goes out on the real backend only when
/// that epoch's checkpoint is committed (<see cref="HeldBytes"/>), so a peer never sees a frame the
/// standby's guest would not have sent. Past <see cref="MaxHeldBytes"/> frames are dropped, as a
/// congested link drops them. Receiving is untouched: a frame that arrives belongs to the guest at once.
/// </summary>
public sealed class HeldFrames : INetBackend, IHeldOutput
{
    public const int MaxHeldBytes = 16 << 20;

    private readonly INetBackend _inner;
    private readonly HeldBytes _held;

    public HeldFrames(INetBackend inner)
    {
        _inner = inner;
        _held = new HeldBytes(MaxHeldBytes, inner.Send);
    }

    public int Receive(Span<byte> frame) => _inner.Receive(frame);

    public bool Send(ReadOnlySpan<byte> frame) => _held.Offer(frame);

    public void Begin(long epoch) => _held.Begin(epoch);

    public void Release(long epoch) => _held.Release(epoch);

    public void ReleaseAll() => _held.ReleaseAll();

    public void Discard() => _held.Discard();

    public void Dispose() => _inner.Dispose();
}

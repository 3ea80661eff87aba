using Tern.Kvm;
using Tern.Kvm.Net;

namespace Tern.Devices.Virtio.Net;

/// <summary>A TAP as a network backend; the I/O thread polls <see cref="Source"/> for frames to receive.</summary>
public sealed class TapBackend(TapDevice tap) : INetBackend
{
    public PollSource Source => tap;
    public string InterfaceName => tap.Name;

    public int Receive(Span<byte> frame) => tap.Receive(frame);

    public bool Send(ReadOnlySpan<byte> frame) => tap.Send(frame);

    public void Dispose() => tap.Dispose();
}

using Tern.Devices.Virtio.Net;

namespace Tern.Devices.Tests.Virtio.Net;

/// <summary>A backend with a queue of frames to receive and a list of the frames sent.</summary>
internal sealed class FakeNetBackend : INetBackend
{
    public Queue<byte[]> Incoming { get; } = new();
    public List<byte[]> Sent { get; } = [];
    public bool Disposed { get; private set; }

    public int Receive(Span<byte> frame)
    {
        if (!Incoming.TryDequeue(out var next)) return 0;
        next.CopyTo(frame);
        return next.Length;
    }

    public bool Send(ReadOnlySpan<byte> frame)
    {
        Sent.Add(frame.ToArray());
        return true;
    }

    public void Dispose() => Disposed = true;
}

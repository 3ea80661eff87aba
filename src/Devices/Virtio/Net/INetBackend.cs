namespace Tern.Devices.Virtio.Net;

/// <summary>Where a network device's frames go and come from (a TAP; a fake in tests). One frame per call, never blocking.</summary>
public interface INetBackend : IDisposable
{
    /// <summary>Reads one waiting frame into <paramref name="frame"/>; returns its length, 0 when none waits.</summary>
    int Receive(Span<byte> frame);

    /// <summary>Sends one frame; false when the backend dropped it.</summary>
    bool Send(ReadOnlySpan<byte> frame);
}

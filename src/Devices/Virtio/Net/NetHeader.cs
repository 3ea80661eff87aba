namespace Tern.Devices.Virtio.Net;

/// <summary>
/// struct virtio_net_hdr as a VERSION_1 device sees it (virtio 1.2, 5.1.6): 12 bytes before every
/// frame, num_buffers included. Without offloads the device writes one with only num_buffers = 1
/// and ignores the driver's (it may not ask for checksum or segmentation work it did not negotiate).
/// </summary>
public static class NetHeader
{
    public const int Size = 12;
    private const int NumBuffersOffset = 10;

    /// <summary>Fills <paramref name="header"/> with the header of a received frame in one buffer chain.</summary>
    public static void WriteReceived(Span<byte> header)
    {
        header[..Size].Clear();
        header[NumBuffersOffset] = 1;
    }
}

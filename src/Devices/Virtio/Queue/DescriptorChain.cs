namespace Tern.Devices.Virtio.Queue;

/// <summary>
/// A validated descriptor chain: the head index the used ring gets back, and the buffers in order,
/// device-readable ones first. Every buffer lies inside guest RAM and is non-empty.
/// </summary>
public sealed class DescriptorChain(ushort head, IReadOnlyList<GuestBuffer> buffers)
{
    public ushort Head { get; } = head;
    public IReadOnlyList<GuestBuffer> Buffers { get; } = buffers;

    public ulong ReadableLength => Sum(writable: false);
    public ulong WritableLength => Sum(writable: true);

    private ulong Sum(bool writable)
    {
        ulong total = 0;
        foreach (var b in Buffers)
            if (b.Writable == writable) total += b.Length;
        return total;
    }
}

namespace Tern.Devices.Virtio;

/// <summary>Reads of a device's read-only configuration structure: the bytes that overlap it, zeros elsewhere.</summary>
public static class ConfigBytes
{
    public static void Read(ReadOnlySpan<byte> config, int offset, Span<byte> data)
    {
        data.Clear();
        if (offset >= 0 && offset < config.Length)
            config.Slice(offset, Math.Min(data.Length, config.Length - offset)).CopyTo(data);
    }
}

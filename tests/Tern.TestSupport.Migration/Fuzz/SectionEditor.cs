using Tern.Actors.Migration.Engine.Wire;

namespace Tern.TestSupport.Migration.Fuzz;

/// <summary>Byte surgery on a recorded stream: splicing, and rebuilding one section with a correct crc.</summary>
public static class SectionEditor
{
    public static byte[] Splice(byte[] stream, int start, int end, ReadOnlySpan<byte> replacement) =>
        [.. stream.AsSpan(0, start), .. replacement, .. stream.AsSpan(end)];

    public static byte[] Insert(byte[] stream, int at, ReadOnlySpan<byte> bytes) => Splice(stream, at, at, bytes);

    public static byte[] Payload(byte[] stream, SectionSpan s) => stream[s.PayloadStart..s.CrcAt];

    public static byte[] Data(byte[] stream, SectionSpan s) => stream[s.DataStart..s.End];

    public static byte[] IdBytes(byte[] stream, SectionSpan s) => stream[(s.Start + 3)..s.VersionAt];

    public static uint Version(byte[] stream, SectionSpan s) => BitConverter.ToUInt32(stream, s.VersionAt);

    /// <summary>A section (header, payload, crc over both, then any page data) as a valid writer would frame it.</summary>
    public static byte[] Build(byte kind, byte[] id, uint version, byte[] payload, byte[] data) =>
        new RawStream().RawSection(kind, id, version, payload).Bytes(data).ToArray();

    /// <summary>The stream with section <paramref name="s"/> rebuilt from changed parts (the rest as it was).</summary>
    public static byte[] Reseal(byte[] stream, SectionSpan s, byte? kind = null, byte[]? id = null, uint? version = null,
        byte[]? payload = null, byte[]? data = null)
    {
        var rebuilt = Build(kind ?? (byte)s.Kind, id ?? IdBytes(stream, s), version ?? Version(stream, s),
            payload ?? Payload(stream, s), data ?? Data(stream, s));
        return Splice(stream, s.Start, s.End, rebuilt);
    }

    /// <summary>Writes a little-endian value of <paramref name="width"/> bytes into a copy of <paramref name="bytes"/>.</summary>
    public static byte[] WriteField(byte[] bytes, int at, int width, ulong value)
    {
        var copy = (byte[])bytes.Clone();
        for (int i = 0; i < width && at + i < copy.Length; i++) copy[at + i] = (byte)(value >> (8 * i));
        return copy;
    }
}

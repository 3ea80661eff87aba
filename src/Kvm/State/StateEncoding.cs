using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;

namespace Tern.Kvm.State;

/// <summary>
/// Little helpers for the compact binary encodings of saved state. Input comes from the network:
/// every length is checked before anything is allocated, and a short read is a typed error.
/// </summary>
internal static class StateEncoding
{
    public static void WriteHeader(BinaryWriter writer, uint magic, int version)
    {
        writer.Write(magic);
        writer.Write((ushort)version);
    }

    public static void ReadHeader(BinaryReader reader, uint magic, int version, string what)
    {
        uint actual = reader.ReadUInt32();
        if (actual != magic) throw new KvmStateException("Magic", $"not a {what} (0x{actual:x8})");
        int v = reader.ReadUInt16();
        if (v != version) throw new KvmStateException("Version", $"{what} version {v} is not supported (expected {version})");
    }

    public static void WriteStruct<T>(BinaryWriter writer, in T value) where T : unmanaged =>
        writer.Write(MemoryMarshal.AsBytes(new ReadOnlySpan<T>(in value)));

    public static T ReadStruct<T>(BinaryReader reader) where T : unmanaged
    {
        Span<byte> bytes = stackalloc byte[Unsafe.SizeOf<T>()];
        ReadExactly(reader, bytes);
        return MemoryMarshal.Read<T>(bytes);
    }

    /// <summary>A u32 length followed by that many bytes.</summary>
    public static void WriteBlob(BinaryWriter writer, ReadOnlySpan<byte> blob)
    {
        writer.Write((uint)blob.Length);
        writer.Write(blob);
    }

    /// <summary>Reads what <see cref="WriteBlob"/> wrote; the length must lie in [min, max].</summary>
    public static byte[] ReadBlob(BinaryReader reader, string field, int min, int max)
    {
        uint length = reader.ReadUInt32();
        if (length < (uint)min || length > (uint)max)
            throw new KvmStateException(field, $"length {length} is outside [{min}, {max}]");
        var blob = new byte[length];
        ReadExactly(reader, blob);
        return blob;
    }

    public static byte[] ReadFixed(BinaryReader reader, int length)
    {
        var blob = new byte[length];
        ReadExactly(reader, blob);
        return blob;
    }

    public static int ReadCount(BinaryReader reader, string field, int max)
    {
        uint count = reader.ReadUInt32();
        if (count > (uint)max) throw new KvmStateException(field, $"count {count} exceeds {max}");
        return (int)count;
    }

    private static void ReadExactly(BinaryReader reader, Span<byte> into)
    {
        // BinaryReader.Read may return less than asked on a socket; only 0 means the end.
        while (!into.IsEmpty)
        {
            int n = reader.Read(into);
            if (n <= 0) throw new EndOfStreamException();
            into = into[n..];
        }
    }

    /// <summary>Runs a decoder, turning the end of input into a typed error.</summary>
    public static T Decode<T>(string what, Func<T> decode)
    {
        try
        {
            return decode();
        }
        catch (EndOfStreamException e)
        {
            throw new KvmStateException(what, "input ends early", e);
        }
    }

    public static bool SameBytes(byte[]? a, byte[]? b) =>
        a is null ? b is null : b is not null && a.AsSpan().SequenceEqual(b);

    public static bool SameStruct<T>(in T a, in T b) where T : unmanaged =>
        MemoryMarshal.AsBytes(new ReadOnlySpan<T>(in a)).SequenceEqual(MemoryMarshal.AsBytes(new ReadOnlySpan<T>(in b)));

    /// <summary>Encodes with <paramref name="write"/> into one array (the migration stream frames it).</summary>
    public static byte[] ToBytes(Action<BinaryWriter> write)
    {
        using var buffer = new MemoryStream();
        using (var writer = new BinaryWriter(buffer)) write(writer);
        return buffer.ToArray();
    }

    /// <summary>Decodes exactly <paramref name="bytes"/> with <paramref name="read"/>: trailing bytes are an error too.</summary>
    public static T FromBytes<T>(ReadOnlySpan<byte> bytes, Func<BinaryReader, T> read)
    {
        using var reader = new BinaryReader(new MemoryStream(bytes.ToArray()));
        var state = read(reader);
        if (reader.BaseStream.Position != bytes.Length)
            throw new KvmStateException(typeof(T).Name, $"{bytes.Length - reader.BaseStream.Position} bytes after the end");
        return state;
    }
}

using System.Buffers.Binary;
using System.Text;

namespace Tern.Kvm.Boot;

/// <summary>
/// Builds a little-endian byte image field by field (firmware tables, AML, boot structures),
/// growing as needed, with patching of fields whose value is known only later (lengths, checksums).
/// </summary>
internal sealed class ByteWriter
{
    private byte[] _buffer;

    public ByteWriter(int capacity = 256) => _buffer = new byte[Math.Max(capacity, 16)];

    public int Length { get; private set; }

    public ByteWriter U8(byte value) { Reserve(1)[0] = value; return this; }

    public ByteWriter U16(ushort value) { BinaryPrimitives.WriteUInt16LittleEndian(Reserve(2), value); return this; }

    public ByteWriter U32(uint value) { BinaryPrimitives.WriteUInt32LittleEndian(Reserve(4), value); return this; }

    public ByteWriter U64(ulong value) { BinaryPrimitives.WriteUInt64LittleEndian(Reserve(8), value); return this; }

    public ByteWriter Bytes(ReadOnlySpan<byte> value) { value.CopyTo(Reserve(value.Length)); return this; }

    public ByteWriter Zeros(int count) { Reserve(count).Clear(); return this; }

    /// <summary>ASCII text in a fixed-width field, padded with <paramref name="pad"/>.</summary>
    public ByteWriter Ascii(string text, int width, byte pad = (byte)' ')
    {
        var field = Reserve(width);
        field.Fill(pad);
        Encoding.ASCII.GetBytes(text.AsSpan(0, Math.Min(text.Length, width)), field);
        return this;
    }

    public void PatchU8(int offset, byte value) => _buffer[offset] = value;

    public void PatchU16(int offset, ushort value) => BinaryPrimitives.WriteUInt16LittleEndian(_buffer.AsSpan(offset, 2), value);

    public void PatchU32(int offset, uint value) => BinaryPrimitives.WriteUInt32LittleEndian(_buffer.AsSpan(offset, 4), value);

    public Span<byte> Written => _buffer.AsSpan(0, Length);

    public byte[] ToArray() => Written.ToArray();

    private Span<byte> Reserve(int count)
    {
        if (_buffer.Length - Length < count)
            Array.Resize(ref _buffer, Math.Max(_buffer.Length * 2, Length + count));
        var span = _buffer.AsSpan(Length, count);
        Length += count;
        return span;
    }
}

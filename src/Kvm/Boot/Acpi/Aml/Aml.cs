using System.Text;

namespace Tern.Kvm.Boot.Acpi.Aml;

/// <summary>
/// A small encoder for the ACPI Machine Language terms a static DSDT needs (ACPI 6.x, chapter 20):
/// names, integers in their shortest form, strings, Package, Buffer, Name, Scope and Device. Each
/// method returns the term's bytes; nesting is by passing terms as arguments.
/// </summary>
public static class Aml
{
    private const byte ZeroOp = 0x00;
    private const byte OneOp = 0x01;
    private const byte NameOp = 0x08;
    private const byte BytePrefix = 0x0a;
    private const byte WordPrefix = 0x0b;
    private const byte DWordPrefix = 0x0c;
    private const byte StringPrefix = 0x0d;
    private const byte QWordPrefix = 0x0e;
    private const byte ScopeOp = 0x10;
    private const byte BufferOp = 0x11;
    private const byte PackageOp = 0x12;
    private const byte DualNamePrefix = 0x2e;
    private const byte MultiNamePrefix = 0x2f;
    private const byte ExtOpPrefix = 0x5b;
    private const byte DeviceOp = 0x82;
    private const byte RootChar = (byte)'\\';
    private const byte ParentPrefixChar = (byte)'^';
    private const byte OnesOp = 0xff;

    /// <summary>
    /// A NameString: an optional root (\) or parent (^) prefix, then dot-separated segments of up
    /// to four characters, padded with '_' ("\_SB.PCI0", "_HID").
    /// </summary>
    public static byte[] NameString(string path)
    {
        var w = new ByteWriter(path.Length + 4);
        int i = 0;
        if (path.StartsWith('\\')) { w.U8(RootChar); i = 1; }
        else
            while (i < path.Length && path[i] == '^') { w.U8(ParentPrefixChar); i++; }
        string rest = path[i..];
        var segments = rest.Length == 0 ? [] : rest.Split('.');
        switch (segments.Length)
        {
            case 0: w.U8(ZeroOp); break; // NullName
            case 1: break;
            case 2: w.U8(DualNamePrefix); break;
            case > 255: throw new ArgumentException($"AML name {path} has too many segments");
            default: w.U8(MultiNamePrefix).U8((byte)segments.Length); break;
        }
        foreach (var s in segments) w.Bytes(NameSeg(s));
        return w.ToArray();
    }

    /// <summary>One four-character name segment: a letter or '_' first, then letters, digits or '_'.</summary>
    public static byte[] NameSeg(string segment)
    {
        bool valid = segment.Length is >= 1 and <= 4
                     && (char.IsAsciiLetterUpper(segment[0]) || segment[0] == '_')
                     && segment.All(c => char.IsAsciiLetterUpper(c) || char.IsAsciiDigit(c) || c == '_');
        if (!valid) throw new ArgumentException($"invalid AML name segment '{segment}'");
        return Encoding.ASCII.GetBytes(segment.PadRight(4, '_'));
    }

    /// <summary>An integer in the shortest encoding: Zero, One, Ones, or a byte, word, dword or qword constant.</summary>
    public static byte[] Integer(ulong value) => value switch
    {
        0 => [ZeroOp],
        1 => [OneOp],
        ulong.MaxValue => [OnesOp],
        <= byte.MaxValue => [BytePrefix, (byte)value],
        <= ushort.MaxValue => new ByteWriter(3).U8(WordPrefix).U16((ushort)value).ToArray(),
        <= uint.MaxValue => DWord((uint)value),
        _ => new ByteWriter(9).U8(QWordPrefix).U64(value).ToArray(),
    };

    /// <summary>A dword constant whatever its value (EISA ids are always dwords).</summary>
    public static byte[] DWord(uint value) => new ByteWriter(5).U8(DWordPrefix).U32(value).ToArray();

    public static byte[] String(string value)
    {
        if (value.Any(c => c is '\0' or > '\x7f')) throw new ArgumentException("AML strings are ASCII without NUL");
        return new ByteWriter(value.Length + 2).U8(StringPrefix).Ascii(value, value.Length).U8(0).ToArray();
    }

    /// <summary>EISAID("PNP0A08"): the compressed 32-bit EISA id, as a dword constant.</summary>
    public static byte[] EisaId(string id) => DWord(Acpi.Aml.EisaId.Encode(id));

    /// <summary>Name(name, value).</summary>
    public static byte[] Name(string name, byte[] value) =>
        new ByteWriter(value.Length + 8).U8(NameOp).Bytes(NameString(name)).Bytes(value).ToArray();

    /// <summary>Package(){elements}.</summary>
    public static byte[] Package(params byte[][] elements)
    {
        if (elements.Length > 255) throw new ArgumentException("an AML Package holds at most 255 elements");
        var body = Concat([[(byte)elements.Length], .. elements]);
        return Concat([[PackageOp], PkgLength(body.Length), body]);
    }

    /// <summary>Buffer(){bytes}, its size given as an integer.</summary>
    public static byte[] Buffer(ReadOnlySpan<byte> data)
    {
        var body = Concat([Integer((ulong)data.Length), data.ToArray()]);
        return Concat([[BufferOp], PkgLength(body.Length), body]);
    }

    public static byte[] Scope(string name, params byte[][] terms) =>
        Concat([[ScopeOp], .. Named(name, terms)]);

    public static byte[] Device(string name, params byte[][] terms) =>
        Concat([[ExtOpPrefix, DeviceOp], .. Named(name, terms)]);

    private static byte[][] Named(string name, byte[][] terms)
    {
        var body = Concat([NameString(name), .. terms]);
        return [PkgLength(body.Length), body];
    }

    /// <summary>
    /// The PkgLength that precedes <paramref name="bodyLength"/> bytes. It counts itself: one byte
    /// up to 63, otherwise a lead byte (count of following bytes in bits 7-6, low nibble in 3-0)
    /// and up to three more bytes.
    /// </summary>
    public static byte[] PkgLength(int bodyLength)
    {
        if (bodyLength < 0) throw new ArgumentOutOfRangeException(nameof(bodyLength));
        if (bodyLength + 1 <= 0x3f) return [(byte)(bodyLength + 1)];
        for (int extra = 1; extra <= 3; extra++)
        {
            long total = bodyLength + 1L + extra;
            if (total >= 1L << (4 + 8 * extra)) continue;
            var encoded = new byte[extra + 1];
            encoded[0] = (byte)((extra << 6) | (int)(total & 0x0f));
            for (int i = 1; i <= extra; i++) encoded[i] = (byte)(total >> (4 + 8 * (i - 1)));
            return encoded;
        }
        throw new ArgumentException($"AML package of {bodyLength} bytes is too long");
    }

    internal static byte[] Concat(ReadOnlySpan<byte[]> parts)
    {
        int length = 0;
        foreach (var p in parts) length += p.Length;
        var result = new byte[length];
        int at = 0;
        foreach (var p in parts) { p.CopyTo(result, at); at += p.Length; }
        return result;
    }
}

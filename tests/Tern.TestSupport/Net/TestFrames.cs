using System.Buffers.Binary;

namespace Tern.TestSupport.Net;

/// <summary>The test kernel's mode=net frames (tests/guest/include/net_frame.h), built and checked on the host.</summary>
public static class TestFrames
{
    public const ushort Data = 0x88b5;
    public const ushort Echo = 0x88b6;
    public const ushort Rarp = 0x8035;
    public static readonly byte[] HostMac = [0x02, 0x00, 0x00, 0x00, 0x00, 0x01];
    public static readonly byte[] Broadcast = [0xff, 0xff, 0xff, 0xff, 0xff, 0xff];

    public static byte[] Build(byte[] dst, byte[] src, ushort type, uint seq, int length)
    {
        var f = new byte[length];
        dst.CopyTo(f, 0);
        src.CopyTo(f, 6);
        BinaryPrimitives.WriteUInt16BigEndian(f.AsSpan(12), type);
        "TNET"u8.CopyTo(f.AsSpan(14));
        BinaryPrimitives.WriteUInt32LittleEndian(f.AsSpan(18), seq);
        BinaryPrimitives.WriteUInt32LittleEndian(f.AsSpan(22), (uint)length);
        for (int j = 26; j < length; j++) f[j] = Pattern(seq, j);
        return f;
    }

    public static ushort Type(byte[] f) => f.Length >= 14 ? BinaryPrimitives.ReadUInt16BigEndian(f.AsSpan(12)) : (ushort)0;

    public static byte[] Source(byte[] f) => f[6..12];

    /// <summary>The sequence number of an intact test frame, or null when the frame is damaged or not one.</summary>
    public static uint? Check(byte[] f)
    {
        if (f.Length < 26 || !f.AsSpan(14, 4).SequenceEqual("TNET"u8) || BinaryPrimitives.ReadUInt32LittleEndian(f.AsSpan(22)) != f.Length) return null;
        uint seq = BinaryPrimitives.ReadUInt32LittleEndian(f.AsSpan(18));
        for (int j = 26; j < f.Length; j++)
            if (f[j] != Pattern(seq, j)) return null;
        return seq;
    }

    public static byte[] ParseMac(string text) => text.Split(':').Select(p => Convert.ToByte(p, 16)).ToArray();

    private static byte Pattern(uint seq, int j) => (byte)(seq * 131u + (uint)j * 7u + 1u);
}

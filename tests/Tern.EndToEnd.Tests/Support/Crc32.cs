using System.Text;

namespace Tern.EndToEnd.Tests.Support;

/// <summary>IEEE CRC-32, the checksum the test kernel prints for a sector it read.</summary>
public static class Crc32
{
    public static uint Of(string latin1) => Of(Encoding.Latin1.GetBytes(latin1));

    public static uint Of(ReadOnlySpan<byte> data)
    {
        uint crc = 0xffffffff;
        foreach (byte b in data)
        {
            crc ^= b;
            for (int i = 0; i < 8; i++) crc = (crc >> 1) ^ (0xedb88320 & (uint)-(int)(crc & 1));
        }
        return ~crc;
    }
}

using System.Globalization;
using System.Security.Cryptography;

namespace Tern.Devices.Config;

/// <summary>A 48-bit unicast Ethernet address, written <c>52:54:00:12:34:56</c>.</summary>
public readonly record struct MacAddress
{
    public const int Length = 6;
    private readonly ulong _value; // the six octets, first octet in the top byte of the 48 bits

    private MacAddress(ulong value) => _value = value & 0xffff_ffff_ffff;

    /// <summary>
    /// Parses six colon-separated pairs of hex digits; null with the reason when the text is not
    /// one, or names a multicast or all-zero address (a NIC cannot have either).
    /// </summary>
    public static MacAddress? TryParse(string text, out string? error)
    {
        error = null;
        var parts = text.Split(':');
        ulong value = 0;
        if (parts.Length != Length || parts.Any(p => p.Length != 2 || !byte.TryParse(p, NumberStyles.AllowHexSpecifier, CultureInfo.InvariantCulture, out _)))
        {
            error = "expected six pairs of hex digits separated by ':'";
            return null;
        }
        foreach (var p in parts) value = (value << 8) | byte.Parse(p, NumberStyles.AllowHexSpecifier, CultureInfo.InvariantCulture);
        var mac = new MacAddress(value);
        if (mac.IsMulticast) error = "it is a multicast address (the first octet is odd)";
        else if (value == 0) error = "it is all zeros";
        return error is null ? mac : null;
    }

    /// <summary>A random locally administered unicast address in QEMU's 52:54:00 range.</summary>
    public static MacAddress Generate()
    {
        Span<byte> random = stackalloc byte[3];
        RandomNumberGenerator.Fill(random);
        return new MacAddress(0x5254_0000_0000UL | ((ulong)random[0] << 16) | ((ulong)random[1] << 8) | random[2]);
    }

    public bool IsMulticast => ((_value >> 40) & 1) != 0;

    public void CopyTo(Span<byte> destination)
    {
        for (int i = 0; i < Length; i++) destination[i] = (byte)(_value >> (8 * (Length - 1 - i)));
    }

    public byte[] ToBytes()
    {
        var bytes = new byte[Length];
        CopyTo(bytes);
        return bytes;
    }

    public override string ToString() => string.Join(':', ToBytes().Select(b => b.ToString("x2", CultureInfo.InvariantCulture)));
}

namespace Tern.Kvm.Boot;

/// <summary>The 8-bit checksum ACPI and the MP specification use: all bytes of a structure sum to zero.</summary>
internal static class Checksum
{
    /// <summary>The byte that makes <paramref name="data"/> (with its checksum field zero) sum to zero.</summary>
    public static byte Compute(ReadOnlySpan<byte> data)
    {
        byte sum = 0;
        foreach (byte b in data) sum += b;
        return (byte)(0x100 - sum);
    }

    /// <summary>Zeroes the checksum byte at <paramref name="offset"/>, then sets it so the span sums to zero.</summary>
    public static void Fill(Span<byte> data, int offset)
    {
        data[offset] = 0;
        data[offset] = Compute(data);
    }
}

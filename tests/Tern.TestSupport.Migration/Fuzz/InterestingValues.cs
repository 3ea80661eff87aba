namespace Tern.TestSupport.Migration.Fuzz;

/// <summary>
/// Values that break parsers: type limits, the stream format's own limits and their neighbours,
/// and guest-physical addresses at the edges of the corpus guest's 32 MiB of RAM, in the PCI hole
/// and far beyond.
/// </summary>
public static class InterestingValues
{
    private const ulong Page = 4096;
    private const ulong RamEnd = 32UL << 20;

    public static readonly ulong[] Addresses =
    [
        0, 1, Page - 1, RamEnd - Page, RamEnd - Page + 1, RamEnd, RamEnd + Page, 0xA0000, 0xB000_0000, 0xE000_0000,
        0xFEC0_0000, 0xFEE0_0000, 0xFFFF_F000, 1UL << 32, (1UL << 32) - Page, 1UL << 47, 1UL << 63, ulong.MaxValue - Page + 1, ulong.MaxValue,
    ];

    public static readonly ulong[] Lengths =
    [
        0, 1, Page - 1, Page, Page + 1, 2 * Page, RamEnd, RamEnd + Page, 4UL << 20, (4UL << 20) + Page, 16UL << 20, (16UL << 20) + 1,
        1UL << 32, 1UL << 63, ulong.MaxValue - Page + 1, ulong.MaxValue,
    ];

    public static readonly byte[] Bytes = [0, 1, 2, 3, 4, 5, 6, 7, 0x7F, 0x80, 0xFE, 0xFF];

    public static readonly ushort[] U16 = [0, 1, 63, 64, 65, 0x7FFF, 0x8000, 0xFFFF];

    public static readonly uint[] U32 =
    [
        0, 1, 2, 3, 15, 16, 17, 255, 256, 1023, 1024, 1025, 4096, 1 << 20, (1 << 20) + 1, 16 << 20, (16 << 20) + 1,
        0x7FFF_FFFF, 0x8000_0000, 0xFFFF_FFFE, 0xFFFF_FFFF,
    ];

    public static ulong Any(Random random, int width) => width switch
    {
        1 => Pick(random, Bytes),
        2 => Pick(random, U16),
        4 => Pick(random, U32),
        _ => random.Next(2) == 0 ? Pick(random, Addresses) : Pick(random, Lengths),
    };

    public static T Pick<T>(Random random, IReadOnlyList<T> values) => values[random.Next(values.Count)];
}

using System.Numerics;
using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;

namespace Tern.Actors.Migration.Engine.Wire;

/// <summary>
/// CRC32C (Castagnoli), the checksum of the migration stream, on the CPU's crc32 instruction
/// (SSE4.2, ARMv8 CRC) through <see cref="BitOperations.Crc32C(uint, ulong)"/>, 8 bytes a step.
/// Words are read in memory order, which is the byte order of the standard CRC on the
/// little-endian hosts Tern runs on.
/// </summary>
public static class Crc32C
{
    /// <summary>The running state before any byte; <see cref="Finish"/> turns a state into the CRC.</summary>
    public const uint Start = 0xFFFF_FFFF;

    public static uint Compute(ReadOnlySpan<byte> data) => Finish(Append(Start, data));

    public static uint Finish(uint state) => ~state;

    /// <summary>Continues a running state over <paramref name="data"/>.</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)] // hot from the first page: no slow tier-0 code
    public static uint Append(uint state, ReadOnlySpan<byte> data)
    {
        var words = MemoryMarshal.Cast<byte, ulong>(data);
        foreach (ulong w in words) state = BitOperations.Crc32C(state, w);
        foreach (byte b in data[(words.Length * sizeof(ulong))..]) state = BitOperations.Crc32C(state, b);
        return state;
    }

    /// <summary>
    /// The CRC of each 4 KiB page of <paramref name="pages"/> into <paramref name="crcs"/>. Four
    /// pages run side by side: the crc32 instruction's latency is several cycles but it accepts
    /// a new input every cycle, so four independent chains go about three times as fast as one.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public static void Pages(ReadOnlySpan<byte> pages, Span<uint> crcs)
    {
        const int page = MigrationStreamFormat.PageSize;
        if (pages.Length != crcs.Length * page) throw new ArgumentException($"{pages.Length} bytes is not {crcs.Length} pages");
        int p = 0;
        for (; p + 4 <= crcs.Length; p += 4)
        {
            var w0 = MemoryMarshal.Cast<byte, ulong>(pages.Slice(p * page, page));
            var w1 = MemoryMarshal.Cast<byte, ulong>(pages.Slice((p + 1) * page, page));
            var w2 = MemoryMarshal.Cast<byte, ulong>(pages.Slice((p + 2) * page, page));
            var w3 = MemoryMarshal.Cast<byte, ulong>(pages.Slice((p + 3) * page, page));
            uint c0 = Start, c1 = Start, c2 = Start, c3 = Start;
            for (int i = 0; i < w0.Length && i < w1.Length && i < w2.Length && i < w3.Length; i++)
            {
                c0 = BitOperations.Crc32C(c0, w0[i]);
                c1 = BitOperations.Crc32C(c1, w1[i]);
                c2 = BitOperations.Crc32C(c2, w2[i]);
                c3 = BitOperations.Crc32C(c3, w3[i]);
            }
            crcs[p] = Finish(c0);
            crcs[p + 1] = Finish(c1);
            crcs[p + 2] = Finish(c2);
            crcs[p + 3] = Finish(c3);
        }
        for (; p < crcs.Length; p++) crcs[p] = Compute(pages.Slice(p * page, page));
    }
}

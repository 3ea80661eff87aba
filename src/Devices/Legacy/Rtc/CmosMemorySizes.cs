using static Tern.Devices.Legacy.Rtc.CmosRegisters;

namespace Tern.Devices.Legacy.Rtc;

/// <summary>Fills the CMOS bytes where firmware and old loaders look up the amount of RAM.</summary>
internal static class CmosMemorySizes
{
    private const ulong KiB = 1024;
    private const ulong MiB = 1024 * KiB;
    private const ulong Chunk = 64 * KiB;
    private const ulong BaseMemoryKiB = 640;

    public static void Write(Span<byte> ram, ulong lowRamBytes, ulong highRamBytes)
    {
        WriteLittleEndian(ram, BaseMemoryLow, BaseMemoryKiB, 2);

        ulong extendedKiB = lowRamBytes > MiB ? (lowRamBytes - MiB) / KiB : 0;
        WriteLittleEndian(ram, ExtendedMemoryLow, Math.Min(extendedKiB, 0xFFFF), 2);
        WriteLittleEndian(ram, ExtendedMemoryCopyLow, Math.Min(extendedKiB, 0xFFFF), 2);

        ulong above16M = lowRamBytes > 16 * MiB ? (lowRamBytes - 16 * MiB) / Chunk : 0;
        WriteLittleEndian(ram, RamAbove16MLow, Math.Min(above16M, 0xFFFF), 2);

        WriteLittleEndian(ram, RamAbove4GLow, Math.Min(highRamBytes / Chunk, 0xFF_FFFF), 3);
    }

    private static void WriteLittleEndian(Span<byte> ram, int index, ulong value, int bytes)
    {
        for (int i = 0; i < bytes; i++) ram[index + i] = (byte)(value >> (8 * i));
    }
}

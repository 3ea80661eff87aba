using System.Buffers.Binary;
using System.Runtime.CompilerServices;
using Tern.Kvm.Memory;
using static Tern.Actors.Migration.Engine.Wire.MigrationStreamFormat;

namespace Tern.Actors.Migration.Engine.Wire;

/// <summary>
/// Checks a received Ram section's range table (its crc already verified) against guest RAM, then
/// applies it in table order: data ranges are read from the socket straight into guest memory and
/// checked page by page, zero ranges are cleared where the page is not already zero (so a fresh
/// destination does not fault in memory for them).
/// </summary>
internal sealed class RamSectionApplier(GuestMemory memory, StreamInput input, UnverifiedPages unverified)
{
    private const int ZeroViewBytes = 64 << 20;
    private readonly RamRange[] _ranges = new RamRange[MaxRamRanges];
    private readonly uint[] _computed = new uint[MaxRamDataPages];
    private readonly bool[] _backed = new bool[ZeroViewBytes / PageSize];

    [MethodImpl(MethodImplOptions.AggressiveOptimization)] // hot from the first page: no slow tier-0 code
    public RamTransferStats Apply(ReadOnlySpan<byte> table, long sectionBytes)
    {
        int count = ParseTable(table, out int dataPages);
        var sentCrcs = table.Slice(4 + count * RamRangeEntryBytes, dataPages * 4);
        ulong zeroPages = 0;
        ulong failures = 0;
        int crcIndex = 0;
        foreach (var r in _ranges.AsSpan(0, count))
        {
            int pages = (int)Math.Min(r.Length / PageSize, int.MaxValue);
            if (r.Zero)
            {
                ClearZeroRange(r.Gpa, r.Length);
                unverified.Clear(r.Gpa, r.Length / PageSize);
                zeroPages += r.Length / PageSize;
                continue;
            }
            memory.Populate(r.Gpa, r.Length); // one call rather than a fault per page inside the socket read
            var target = memory.WriteSpan(r.Gpa, (int)r.Length);
            input.ReadExactly(target, "Ram page data");
            var computed = _computed.AsSpan(0, pages);
            Crc32C.Pages(target, computed);
            for (int p = 0; p < pages; p++)
            {
                ulong gpa = r.Gpa + (ulong)p * PageSize;
                if (computed[p] == BinaryPrimitives.ReadUInt32LittleEndian(sentCrcs[((crcIndex + p) * 4)..]))
                {
                    unverified.Clear(gpa, 1);
                    continue;
                }
                unverified.Mark(gpa);
                failures++;
            }
            crcIndex += pages;
        }
        return new RamTransferStats((ulong)dataPages, zeroPages, (ulong)sectionBytes + (ulong)dataPages * PageSize, 1, count, failures);
    }

    /// <summary>Validates every range before anything touches guest memory; returns the range count.</summary>
    private int ParseTable(ReadOnlySpan<byte> table, out int dataPages)
    {
        if (table.Length < 4) throw new MigrationStreamException($"Ram payload of {table.Length} bytes has no range count");
        uint count = BinaryPrimitives.ReadUInt32LittleEndian(table);
        if (count == 0) throw new MigrationStreamException("Ram section with no ranges");
        if (count > MaxRamRanges) throw new MigrationStreamException($"Ram range count {count} is over the limit {MaxRamRanges}");
        if ((ulong)table.Length < RamTableBytes(count, 0))
            throw new MigrationStreamException($"Ram payload of {table.Length} bytes is too short for its {count} ranges");

        ulong dataBytes = 0;
        for (int i = 0; i < count; i++)
        {
            var entry = table.Slice(4 + i * RamRangeEntryBytes, RamRangeEntryBytes);
            ulong gpa = BinaryPrimitives.ReadUInt64LittleEndian(entry);
            ulong length = BinaryPrimitives.ReadUInt64LittleEndian(entry[8..]);
            byte flags = entry[16];
            string RangeText() => $"Ram range 0x{gpa:x}+0x{length:x}";
            if (flags is not (RamFlagData or RamFlagZero)) throw new MigrationStreamException($"{RangeText()} has unknown flags 0x{flags:x2}");
            if (length == 0) throw new MigrationStreamException($"{RangeText()} has zero length");
            if (gpa % PageSize != 0 || length % PageSize != 0) throw new MigrationStreamException($"{RangeText()} is not page-aligned");
            if (!memory.IsRam(gpa, length))
                throw new MigrationStreamException(memory.IsRam(gpa, PageSize)
                    ? $"{RangeText()} runs past the end of its RAM region"
                    : $"{RangeText()} is outside guest RAM");
            bool zero = flags == RamFlagZero;
            if (!zero)
            {
                if (length > MaxRamDataBytes - dataBytes)
                    throw new MigrationStreamException($"{RangeText()} takes the section's data over the {MaxRamDataBytes >> 20} MiB limit");
                dataBytes += length;
            }
            _ranges[i] = new RamRange(gpa, length, zero);
        }
        dataPages = (int)(dataBytes / PageSize);
        ulong expected = RamTableBytes(count, (ulong)dataPages);
        if ((ulong)table.Length != expected)
            throw new MigrationStreamException($"Ram payload length {table.Length} disagrees with its range table ({expected} bytes for {count} ranges and {dataPages} data pages)");
        return (int)count;
    }

    /// <summary>
    /// Zeroes the pages of a zero range that are not zero already, in views of at most 64 MiB.
    /// Pages the host never backed are zero and are not even read: on a fresh destination that
    /// is most of them, and reading each would fault in a page table entry for nothing.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private void ClearZeroRange(ulong gpa, ulong length)
    {
        for (ulong done = 0; done < length;)
        {
            int size = (int)Math.Min(length - done, ZeroViewBytes);
            var backed = _backed.AsSpan(0, size / PageSize);
            if (!memory.TryGetBacked(gpa + done, backed)) backed.Fill(true);
            var pages = memory.ReadSpan(gpa + done, size);
            for (int p = 0; p < backed.Length; p++)
                if (backed[p] && !ZeroPage.IsZero(pages.Slice(p * PageSize, PageSize)))
                    memory.WriteSpan(gpa + done + (ulong)p * PageSize, PageSize).Clear();
            done += (ulong)size;
        }
    }
}

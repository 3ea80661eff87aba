using System.Numerics;
using Tern.Kvm.Memory;

namespace Tern.Actors.Migration.Engine.Wire;

/// <summary>
/// The destination's ledger of guest pages that arrived with a wrong checksum and have not yet
/// arrived again intact: one bit per 4 KiB page of each RAM region. Thread-safe, so that several
/// readers (one per socket) can share one ledger. End is refused while <see cref="Count"/> is not 0.
/// </summary>
public sealed class UnverifiedPages
{
    private readonly (ulong Start, ulong Pages, ulong[] Bits)[] _regions;
    private long _count;

    public UnverifiedPages(GuestMemory memory)
    {
        _regions = memory.Regions
            .Select(r => (r.Start, r.Size / MigrationStreamFormat.PageSize, new ulong[(r.Size / MigrationStreamFormat.PageSize + 63) / 64]))
            .ToArray();
    }

    public long Count => Interlocked.Read(ref _count);

    /// <summary>Marks the page at <paramref name="gpa"/> (inside RAM, page-aligned) as unverified.</summary>
    public void Mark(ulong gpa) => Change(gpa, 1, set: true);

    /// <summary>Clears the marks of <paramref name="pages"/> pages from <paramref name="gpa"/> (inside one region).</summary>
    public void Clear(ulong gpa, ulong pages)
    {
        if (Count != 0) Change(gpa, pages, set: false);
    }

    /// <summary>The lowest unverified page, if any.</summary>
    public ulong? First()
    {
        foreach (var (start, _, bits) in _regions)
            for (int w = 0; w < bits.Length; w++)
            {
                ulong word = Volatile.Read(ref bits[w]);
                if (word != 0) return start + ((ulong)w * 64 + (ulong)BitOperations.TrailingZeroCount(word)) * MigrationStreamFormat.PageSize;
            }
        return null;
    }

    private void Change(ulong gpa, ulong pages, bool set)
    {
        foreach (var (start, count, bits) in _regions)
        {
            if (gpa < start || (gpa - start) / MigrationStreamFormat.PageSize >= count) continue;
            ulong first = (gpa - start) / MigrationStreamFormat.PageSize;
            ulong end = Math.Min(first + pages, count);
            for (ulong p = first; p < end; p++)
            {
                ulong bit = 1UL << (int)(p % 64);
                ref ulong word = ref bits[p / 64];
                if (set && (Interlocked.Or(ref word, bit) & bit) == 0) Interlocked.Increment(ref _count);
                if (!set && (Volatile.Read(ref word) & bit) != 0 && (Interlocked.And(ref word, ~bit) & bit) != 0) Interlocked.Decrement(ref _count);
            }
            return;
        }
    }
}

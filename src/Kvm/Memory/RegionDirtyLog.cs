using System.Numerics;
using Tern.Kvm.Arch;

namespace Tern.Kvm.Memory;

/// <summary>
/// The pages of one RAM region written since the previous <see cref="DirtyPageTracker.Sync"/>: bit
/// <c>p % 64</c> of word <c>p / 64</c> is page <c>p</c> (at <c>Region.Start + p * 4096</c>). The buffer
/// is reused: it is valid until the next Sync.
/// </summary>
public sealed class RegionDirtyLog
{
    private readonly ulong[] _words;

    internal RegionDirtyLog(GuestRegion region)
    {
        Region = region;
        Pages = region.Size / MemoryLayout.PageSize;
        _words = new ulong[(Pages + 63) / 64];
    }

    public GuestRegion Region { get; }
    public ulong Pages { get; }

    /// <summary>How many pages the last Sync found dirty.</summary>
    public ulong DirtyPages { get; private set; }

    public ReadOnlySpan<ulong> Bits => _words;

    public bool IsDirty(ulong page) => page < Pages && (_words[page / 64] & (1UL << (int)(page % 64))) != 0;

    internal ulong[] Words => _words;

    internal void Count()
    {
        ulong count = 0;
        foreach (ulong w in _words) count += (ulong)BitOperations.PopCount(w);
        DirtyPages = count;
    }

    internal void Clear()
    {
        Array.Clear(_words);
        DirtyPages = 0;
    }
}

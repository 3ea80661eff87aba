namespace Tern.Bench;

/// <summary>
/// A VMM's host memory at one moment: total RSS, the part that is guest RAM, and the rest
/// (the overhead), split into private memory (anonymous and memfd) and file-backed pages (code, mapped assemblies).
/// </summary>
public sealed record MemoryFigures(long TotalRssKb, long GuestRamRssKb, long PrivateRssKb, int GuestRamMappings)
{
    public long OverheadKb => TotalRssKb - GuestRamRssKb;
    public long OverheadPrivateKb => PrivateRssKb - GuestRamRssKb;
    public long OverheadFileKb => TotalRssKb - PrivateRssKb;

    /// <summary>
    /// Reads /proc/PID/smaps and finds guest RAM: for each expected region size, the anonymous
    /// mapping of exactly that size with the most resident pages (any other mapping that size
    /// would be a coincidence; taking the fuller one can only make the overhead smaller).
    /// </summary>
    public static MemoryFigures Read(int pid, IReadOnlyList<ulong> guestRamSizes)
    {
        var mappings = SmapsMapping.Parse(File.ReadAllText($"/proc/{pid}/smaps"));
        var used = new HashSet<SmapsMapping>(ReferenceEqualityComparer.Instance);
        long guest = 0;
        foreach (ulong size in guestRamSizes)
        {
            long sizeKb = (long)(size >> 10);
            var ram = mappings
                .Where(m => m.IsAnonymous && m.SizeKb == sizeKb && !used.Contains(m))
                .MaxBy(m => m.RssKb);
            if (ram is null) continue;
            used.Add(ram);
            guest += ram.RssKb;
        }
        return new MemoryFigures(mappings.Sum(m => m.RssKb), guest, mappings.Sum(m => m.PrivateKb), used.Count);
    }
}

using Tern.Kvm.Memory;
using Tern.Actors.Migration.Engine.Wire;

namespace Tern.TestSupport.Migration;

/// <summary>Small guest memories for stream tests: 64 MiB at 0 and 16 MiB at 4 GiB, like a q35 guest's low and high RAM.</summary>
public static class TestMemory
{
    public const ulong Page = 4096;
    public const ulong LowSize = 64UL << 20;
    public const ulong HighStart = 4UL << 30;
    public const ulong HighSize = 16UL << 20;

    public static GuestMemory Create() => new([(0, LowSize), (HighStart, HighSize)]);

    /// <summary>Every page of every region, one run per region.</summary>
    public static PageRun[] AllPages(GuestMemory memory) =>
        memory.Regions.Select(r => new PageRun(r.Start, r.Size / Page)).ToArray();

    /// <summary>Fills a page with bytes derived from its address and a seed (never all zero).</summary>
    public static void FillPage(GuestMemory memory, ulong gpa, int seed)
    {
        var page = memory.WriteSpan(gpa, (int)Page);
        for (int i = 0; i < page.Length; i += 8)
            BitConverter.TryWriteBytes(page[i..], (gpa + (ulong)i) * 0x9E3779B97F4A7C15UL ^ (ulong)seed | 1);
    }

    public static void FillEverything(GuestMemory memory, byte value)
    {
        foreach (var r in memory.Regions) memory.WriteSpan(r.Start, (int)r.Size).Fill(value);
    }

    /// <summary>The first address where the two memories differ, or null.</summary>
    public static ulong? FirstDifference(GuestMemory a, GuestMemory b)
    {
        foreach (var r in a.Regions)
        {
            var x = a.ReadSpan(r.Start, (int)r.Size);
            var y = b.ReadSpan(r.Start, (int)r.Size);
            int i = x.CommonPrefixLength(y);
            if (i < x.Length) return r.Start + (ulong)i;
        }
        return null;
    }
}

using Tern.Actors.Migration.Engine.Wire;
using Tern.Kvm.Memory;

namespace Tern.Actors.Migration.Engine.Source;

/// <summary>Turns RAM regions and dirty bitmaps into page runs, scanning bitmaps a 64-bit word at a time.</summary>
internal static class PageRuns
{
    private const ulong PageSize = 4096;

    /// <summary>Every page of RAM, in runs of at most <paramref name="maxPages"/> pages (so cancel is checked often).</summary>
    public static List<PageRun> All(GuestMemory memory, ulong maxPages)
    {
        var runs = new List<PageRun>();
        foreach (var r in memory.Regions)
            for (ulong p = 0; p < r.Size / PageSize; p += maxPages)
                runs.Add(new PageRun(r.Start + p * PageSize, Math.Min(maxPages, r.Size / PageSize - p)));
        return runs;
    }

    /// <summary>The dirty pages of every region as runs of consecutive pages, appended to <paramref name="runs"/>.</summary>
    public static void Dirty(IReadOnlyList<RegionDirtyLog> logs, List<PageRun> runs)
    {
        foreach (var log in logs)
        {
            var words = log.Bits;
            ulong start = log.Region.Start;
            ulong runFirst = 0, runLength = 0;
            for (int w = 0; w < words.Length; w++)
            {
                ulong bits = words[w];
                if (bits == 0) continue;
                if (bits == ulong.MaxValue)
                {
                    Extend((ulong)w * 64, 64);
                    continue;
                }
                while (bits != 0)
                {
                    int bit = System.Numerics.BitOperations.TrailingZeroCount(bits);
                    Extend((ulong)w * 64 + (ulong)bit, 1);
                    bits &= bits - 1;
                }
            }
            Flush();

            void Extend(ulong page, ulong count)
            {
                if (runLength > 0 && runFirst + runLength == page)
                {
                    runLength += count;
                    return;
                }
                Flush();
                runFirst = page;
                runLength = count;
            }

            void Flush()
            {
                if (runLength > 0) runs.Add(new PageRun(start + runFirst * PageSize, Math.Min(runLength, log.Pages - runFirst)));
                runLength = 0;
            }
        }
    }
}

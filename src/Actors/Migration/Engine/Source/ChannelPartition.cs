using Tern.Actors.Migration.Engine.Wire;
using static Tern.Actors.Migration.Engine.Wire.MigrationStreamFormat;

namespace Tern.Actors.Migration.Engine.Source;

/// <summary>
/// Multifd's rule for which data channel carries a page: 2 MiB blocks of guest-physical address
/// space go round-robin over the channels. A page therefore always takes the same channel, so its
/// later copies can never overtake earlier ones on the way.
/// </summary>
public static class ChannelPartition
{
    private const ulong Block = 1UL << ChannelBlockShift;

    /// <summary>The 0-based data channel of the page at <paramref name="gpa"/>.</summary>
    public static int ChannelOf(ulong gpa, int channels) => (int)((gpa >> ChannelBlockShift) % (ulong)channels);

    /// <summary>Appends the pages of <paramref name="runs"/> to their channels' lists, cutting runs at block boundaries.</summary>
    public static void Split(IEnumerable<PageRun> runs, List<PageRun>[] channels)
    {
        foreach (var run in runs)
        {
            ulong gpa = run.Gpa;
            ulong end = run.Gpa + run.Pages * (ulong)PageSize;
            while (gpa < end)
            {
                ulong cut = Math.Min(end, (gpa & ~(Block - 1)) + Block);
                channels[ChannelOf(gpa, channels.Length)].Add(new PageRun(gpa, (cut - gpa) / (ulong)PageSize));
                gpa = cut;
            }
        }
    }
}

using System.Runtime.InteropServices;
using Tern.Actors.Migration.Engine.Wire;

namespace Tern.Actors.Migration.Engine.Source;

/// <summary>
/// Sends page runs through one writer in batches, so cancel, max-bandwidth and progress are
/// looked at often without per-page overhead.
/// </summary>
internal static class RunBatches
{
    private const int MaxRunsPerBatch = 1024;
    private const ulong MaxBytesPerBatch = 16 << 20; // progress at least every 16 MiB, even in a full pass of large runs

    /// <summary>After each batch <paramref name="sent"/> gets the guest bytes it carried (zero pages included).</summary>
    public static void Send(MigrationStreamWriter writer, List<PageRun> runs, BandwidthLimiter limiter,
        CancellationToken cancel, Action<ulong> sent)
    {
        var all = CollectionsMarshal.AsSpan(runs);
        for (int i = 0; i < all.Length;)
        {
            cancel.ThrowIfCancellationRequested();
            int count = 0;
            ulong bytes = 0;
            while (i + count < all.Length && count < MaxRunsPerBatch && bytes < MaxBytesPerBatch)
                bytes += all[i + count++].Pages * MigrationStreamFormat.PageSize;
            long before = writer.BytesWritten;
            writer.WriteRam(all.Slice(i, count));
            limiter.Sent(writer.BytesWritten - before, cancel);
            sent(bytes);
            i += count;
        }
    }

    public static ulong Bytes(ReadOnlySpan<PageRun> runs)
    {
        ulong bytes = 0;
        foreach (var r in runs) bytes += r.Pages * MigrationStreamFormat.PageSize;
        return bytes;
    }
}

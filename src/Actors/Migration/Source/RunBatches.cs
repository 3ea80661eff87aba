using System.Runtime.InteropServices;
using Tern.Actors.Migration.Wire;

namespace Tern.Actors.Migration.Source;

/// <summary>
/// Sends page runs through one writer in batches, so cancel, max-bandwidth and progress are
/// looked at often without per-page overhead.
/// </summary>
internal static class RunBatches
{
    private const int MaxRunsPerBatch = 1024;

    /// <summary>After each batch <paramref name="sent"/> gets the guest bytes it carried (zero pages included).</summary>
    public static void Send(MigrationStreamWriter writer, List<PageRun> runs, BandwidthLimiter limiter,
        CancellationToken cancel, Action<ulong> sent)
    {
        for (int i = 0; i < runs.Count; i += MaxRunsPerBatch)
        {
            cancel.ThrowIfCancellationRequested();
            long before = writer.BytesWritten;
            var batch = CollectionsMarshal.AsSpan(runs).Slice(i, Math.Min(MaxRunsPerBatch, runs.Count - i));
            writer.WriteRam(batch);
            limiter.Sent(writer.BytesWritten - before, cancel);
            sent(Bytes(batch));
        }
    }

    public static ulong Bytes(ReadOnlySpan<PageRun> runs)
    {
        ulong bytes = 0;
        foreach (var r in runs) bytes += r.Pages * MigrationStreamFormat.PageSize;
        return bytes;
    }
}

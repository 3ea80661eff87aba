using Tern.Actors.Migration.Engine.Wire;

namespace Tern.Actors.Migration.Engine.Source;

/// <summary>
/// x-colo-disk-copy, on the primary: sends each writable drive's image to the standby's own copy
/// as DiskCopy sections (the format's "Disks"), with the guest's writes held so the images stand
/// still meanwhile. The first section of a drive carries no data and empties the copy; stretches
/// that read as zeros are then left out, so a sparse image costs only what it holds.
/// </summary>
internal static class DiskCopySender
{
    /// <summary>How much of an image one section carries (the format allows up to 4 MiB).</summary>
    private const int Chunk = 1 << 20;

    /// <summary>Sends every writable drive; returns the image bytes sent (zeros left out).</summary>
    public static long Send(IMigrationSource source, MigrationStreamWriter writer, BandwidthLimiter limiter, CancellationToken cancel)
    {
        var chunk = GC.AllocateUninitializedArray<byte>(Chunk);
        long sent = 0;
        foreach (var (id, length) in source.WritableDrives)
        {
            writer.WriteDiskCopy(id, length, 0, []);
            // The guest sees whole sectors only; a tail shorter than one is never read or written.
            long end = length - length % MigrationStreamFormat.DiskSectorSize;
            for (long at = 0; at < end; at += Chunk)
            {
                cancel.ThrowIfCancellationRequested();
                var part = chunk.AsSpan(0, (int)Math.Min(Chunk, end - at));
                source.ReadDisk(id, part, at);
                if (!part.ContainsAnyExcept((byte)0)) continue;
                long before = writer.BytesWritten;
                writer.WriteDiskCopy(id, length, at, part);
                limiter.Sent(writer.BytesWritten - before, cancel);
                sent += part.Length;
            }
        }
        writer.Flush();
        return sent;
    }
}

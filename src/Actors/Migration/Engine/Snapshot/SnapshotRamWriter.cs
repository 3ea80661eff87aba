using Microsoft.Win32.SafeHandles;
using Tern.Actors.Migration.Engine.Wire;
using Tern.Kvm;
using Tern.Kvm.Memory;

namespace Tern.Actors.Migration.Engine.Snapshot;

/// <summary>
/// Puts guest pages at their fixed places in a snapshot file (<see cref="SnapshotFormat"/>):
/// consecutive data pages in one positioned write straight from guest memory, zero pages left as
/// holes. The first pass writes into a file that is all hole, so its zero pages cost nothing;
/// later passes punch out a page that turned zero, since it may hold an older copy. Not thread-safe.
/// </summary>
internal sealed class SnapshotRamWriter(GuestMemory memory, SafeFileHandle file)
{
    private const int PageSize = SnapshotFormat.PageSize;
    /// <summary>Pages classified per view of guest memory; also the largest single write (64 MiB).</summary>
    private const int ViewPages = 16384;
    /// <summary>As in the stream writer: short runs come from the dirty log, so the host backs them; a pagemap read would cost more than it saves.</summary>
    private const int BackedCheckMinPages = 512;

    private readonly bool[] _backed = new bool[ViewPages];

    /// <summary>Pages written with data, and pages found zero, so far (QEMU's normal and duplicate).</summary>
    public RamTransferStats Totals { get; private set; }

    /// <summary>Every byte written to the file so far.</summary>
    public long BytesWritten { get; private set; }

    /// <summary>Writes every page of <paramref name="runs"/>; <paramref name="fresh"/>: the file holds nothing there yet.</summary>
    public void Write(ReadOnlySpan<PageRun> runs, bool fresh, CancellationToken cancel, Action<ulong>? progress = null)
    {
        foreach (var run in runs)
        {
            var region = RegionOf(run.Gpa);
            for (ulong done = 0; done < run.Pages;)
            {
                cancel.ThrowIfCancellationRequested();
                int pages = (int)Math.Min((ulong)ViewPages, run.Pages - done);
                ulong gpa = run.Gpa + done * PageSize;
                WriteView(region, gpa, pages, fresh);
                done += (ulong)pages;
                progress?.Invoke((ulong)pages * PageSize);
            }
        }
    }

    /// <summary>One view: runs of data pages written, runs of zero pages skipped or punched.</summary>
    private void WriteView(GuestRegion region, ulong gpa, int pages, bool fresh)
    {
        var view = memory.ReadSpan(gpa, pages * PageSize);
        var backed = _backed.AsSpan(0, pages);
        bool backingKnown = pages >= BackedCheckMinPages && memory.TryGetBacked(gpa, backed);
        ulong normal = 0, zero = 0;
        int first = 0;
        bool firstZero = IsZero(view, backed, backingKnown, 0);
        for (int p = 1; p <= pages; p++)
        {
            bool z = p < pages && IsZero(view, backed, backingKnown, p);
            if (p < pages && z == firstZero) continue;
            int count = p - first;
            long offset = SnapshotFormat.RamOffset + region.FileOffset + (long)(gpa - region.Start) + (long)first * PageSize;
            if (!firstZero)
            {
                RandomAccess.Write(file, view.Slice(first * PageSize, count * PageSize), offset);
                BytesWritten += (long)count * PageSize;
                normal += (ulong)count;
            }
            else
            {
                if (!fresh) SparseFile.PunchHole(file, offset, (long)count * PageSize);
                zero += (ulong)count;
            }
            first = p;
            firstZero = z;
        }
        Totals += new RamTransferStats(normal, zero, normal * PageSize, 0, 0);
    }

    private static bool IsZero(ReadOnlySpan<byte> view, ReadOnlySpan<bool> backed, bool backingKnown, int page) =>
        (backingKnown && !backed[page]) || ZeroPage.IsZero(view.Slice(page * PageSize, PageSize));

    private GuestRegion RegionOf(ulong gpa)
    {
        foreach (var r in memory.Regions)
            if (r.Contains(gpa, PageSize)) return r;
        throw new ArgumentOutOfRangeException(nameof(gpa), $"0x{gpa:x} is not guest RAM");
    }
}

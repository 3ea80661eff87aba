using Tern.Kvm.Interop;

namespace Tern.Kvm.Memory;

/// <summary>
/// <c>-mem-prealloc</c>: backs every page of guest RAM before the guest runs, in chunks spread
/// over the host's cores (backing is the kernel zeroing pages, so it scales with threads).
/// </summary>
internal static class RamPreallocator
{
    private const ulong ChunkBytes = 64UL << 20;
    private const int MaxThreads = 16;

    public static void Populate(IReadOnlyList<GuestRegion> regions, ulong filePageSize)
    {
        ulong piece = Math.Max(ChunkBytes, filePageSize);
        var chunks = new List<(GuestRegion Region, ulong Offset, ulong Length)>();
        foreach (var r in regions)
            for (ulong offset = 0; offset < r.Size; offset += piece)
                chunks.Add((r, offset, Math.Min(piece, r.Size - offset)));
        int threads = Math.Clamp(Math.Min(Environment.ProcessorCount, chunks.Count), 1, MaxThreads);
        int failed = 0;
        Parallel.ForEach(chunks, new ParallelOptions { MaxDegreeOfParallelism = threads }, (chunk, loop) =>
        {
            var (region, offset, length) = chunk;
            int errno = region.Populate(region.Start + offset, length);
            if (errno == 0) return;
            Interlocked.CompareExchange(ref failed, errno, 0);
            loop.Stop();
        });
        if (failed != 0)
            throw failed == Errno.ENOMEM
                ? new GuestMemoryBackingException($"-mem-prealloc: the host has too little free memory for {regions.Sum(r => (long)r.Size) >> 20} MiB of guest RAM")
                : new KvmException(failed, "-mem-prealloc of guest RAM");
    }
}

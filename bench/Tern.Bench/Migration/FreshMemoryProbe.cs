using System.Diagnostics;
using System.Runtime.InteropServices;

namespace Tern.Bench.Migration;

/// <summary>
/// The machine's own limit for a migration destination: how fast it can back memory it has not
/// touched yet. An anonymous mapping with transparent huge pages (as both VMMs map guest RAM) gets
/// one byte written per 4 KiB page; every page must be allocated and zeroed by the host first.
/// On a host that is itself a VM (this one reports freed memory to its own host), that rate, not the
/// network, bounds how fast any VMM can receive a guest's data.
/// </summary>
public static partial class FreshMemoryProbe
{
    private const int ProtRead = 1, ProtWrite = 2, MapPrivate = 2, MapAnonymous = 0x20, MapNoReserve = 0x4000, MadvHugePage = 14;
    private const int PageSize = 4096;

    /// <summary>MiB/s at which <paramref name="bytes"/> of fresh memory get backed.</summary>
    public static double MeasureMiBPerSecond(long bytes)
    {
        nint p = MMap(0, (nuint)bytes, ProtRead | ProtWrite, MapPrivate | MapAnonymous | MapNoReserve, -1, 0);
        if (p == -1) throw new InvalidOperationException($"mmap of {bytes >> 20} MiB failed: errno {Marshal.GetLastPInvokeError()}");
        try
        {
            MAdvise(p, (nuint)bytes, MadvHugePage);
            long t0 = Stopwatch.GetTimestamp();
            Touch(p, bytes);
            return bytes / Stopwatch.GetElapsedTime(t0).TotalSeconds / (1 << 20);
        }
        finally
        {
            MUnmap(p, (nuint)bytes);
        }
    }

    private static unsafe void Touch(nint p, long bytes)
    {
        byte* b = (byte*)p;
        for (long off = 0; off < bytes; off += PageSize) b[off] = 1;
    }

    [LibraryImport("libc", EntryPoint = "mmap", SetLastError = true)]
    private static partial nint MMap(nint addr, nuint length, int prot, int flags, int fd, nint offset);

    [LibraryImport("libc", EntryPoint = "madvise")]
    private static partial int MAdvise(nint addr, nuint length, int advice);

    [LibraryImport("libc", EntryPoint = "munmap")]
    private static partial int MUnmap(nint addr, nuint length);
}

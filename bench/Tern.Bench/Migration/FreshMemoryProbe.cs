using System.Diagnostics;
using System.Runtime.InteropServices;

namespace Tern.Bench.Migration;

/// <summary>
/// The machine's own limit for a migration destination: how fast it can back memory it has not
/// touched yet. An anonymous mapping with transparent huge pages (as both VMMs map guest RAM) gets
/// one byte written per 4 KiB page; every page must be allocated and zeroed by the host first.
/// On a host that is itself a VM (this one reports freed memory to its own host), that rate, not the
/// network, bounds how fast any VMM can receive a guest's data. With --mem-path the mapping comes
/// from the hugetlbfs mount instead, as both VMMs' guest RAM then does.
/// </summary>
public static partial class FreshMemoryProbe
{
    private const int ProtRead = 1, ProtWrite = 2, MapPrivate = 2, MapAnonymous = 0x20, MapNoReserve = 0x4000, MadvHugePage = 14;
    private const int ORdWr = 2, OCreat = 0x40, OExcl = 0x80;
    private const int PageSize = 4096;
    private const string PoolFree = "/sys/kernel/mm/hugepages/hugepages-2048kB/free_hugepages";

    /// <summary>MiB/s at which <paramref name="bytes"/> of fresh memory get backed (from <paramref name="hugetlbfs"/> when given).</summary>
    public static double MeasureMiBPerSecond(long bytes, string? hugetlbfs = null)
    {
        using var mapping = Map(bytes, hugetlbfs);
        long t0 = Stopwatch.GetTimestamp();
        Touch(mapping.Address, bytes);
        return bytes / Stopwatch.GetElapsedTime(t0).TotalSeconds / (1 << 20);
    }

    /// <summary>
    /// Touches every free page of the hugetlbfs pool once and gives it back: pages the pool took from
    /// the kernel but nothing used yet are not backed by this VM's own host until first touched, and
    /// whichever VMM met them first would pay for it. Returns the bytes touched.
    /// </summary>
    public static long WarmPool(string hugetlbfs)
    {
        long bytes = long.Parse(File.ReadAllText(PoolFree).Trim()) << 21;
        using var mapping = Map(bytes, hugetlbfs);
        Touch(mapping.Address, bytes);
        return bytes;
    }

    private static Mapping Map(long bytes, string? hugetlbfs)
    {
        int fd = -1;
        if (hugetlbfs is not null)
        {
            string file = Path.Combine(hugetlbfs, $"probe-{Guid.NewGuid():N}");
            fd = Open(file, ORdWr | OCreat | OExcl, 0x180);
            if (fd < 0) throw new InvalidOperationException($"creating {file} failed: errno {Marshal.GetLastPInvokeError()}");
            Unlink(file);
            if (FTruncate(fd, bytes) != 0) throw new InvalidOperationException($"sizing {file} failed: errno {Marshal.GetLastPInvokeError()}");
        }
        nint p = MMap(0, (nuint)bytes, ProtRead | ProtWrite, MapPrivate | (fd < 0 ? MapAnonymous | MapNoReserve : 0), fd, 0);
        int errno = Marshal.GetLastPInvokeError();
        if (fd >= 0) Close(fd);
        if (p == -1) throw new InvalidOperationException($"mmap of {bytes >> 20} MiB failed: errno {errno}");
        if (fd < 0) MAdvise(p, (nuint)bytes, MadvHugePage);
        return new Mapping(p, bytes);
    }

    private sealed record Mapping(nint Address, long Bytes) : IDisposable
    {
        public void Dispose() => MUnmap(Address, (nuint)Bytes);
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

    [LibraryImport("libc", EntryPoint = "open", SetLastError = true, StringMarshalling = StringMarshalling.Utf8)]
    private static partial int Open(string path, int flags, int mode);

    [LibraryImport("libc", EntryPoint = "ftruncate64", SetLastError = true)]
    private static partial int FTruncate(int fd, long length);

    [LibraryImport("libc", EntryPoint = "unlink", StringMarshalling = StringMarshalling.Utf8)]
    private static partial int Unlink(string path);

    [LibraryImport("libc", EntryPoint = "close")]
    private static partial int Close(int fd);
}

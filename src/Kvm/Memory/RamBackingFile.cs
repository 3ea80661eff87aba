using Tern.Kvm.Interop;

namespace Tern.Kvm.Memory;

/// <summary>
/// The file guest RAM is mapped from when it is not private anonymous memory: a memfd (shared
/// RAM without a path), a file made in a <c>-mem-path</c> directory and unlinked at once, or the
/// <c>-mem-path</c> file itself. The mappings keep the file alive, so it can be closed once they exist.
/// </summary>
internal sealed class RamBackingFile : IDisposable
{
    private readonly KvmHandle _handle;

    private RamBackingFile(KvmHandle handle, string description, ulong totalSize, ulong pageSize, bool hugetlbfs, bool named)
    {
        _handle = handle;
        Description = description;
        TotalSize = totalSize;
        PageSize = pageSize;
        IsHugetlbfs = hugetlbfs;
        IsNamed = named;
    }

    /// <summary>The fd for one mmap; see <see cref="KvmHandle.Borrow"/>.</summary>
    public FdLease Borrow() => _handle.Borrow();
    /// <summary>What to call the backing in an error or a refusal: the path, or "a memfd".</summary>
    public string Description { get; }
    /// <summary>All of guest RAM, which the regions map from this file one after another.</summary>
    public ulong TotalSize { get; }
    /// <summary>The granule the file is mapped in: the huge page size on hugetlbfs, else 4 KiB.</summary>
    public ulong PageSize { get; }
    public bool IsHugetlbfs { get; }
    /// <summary>
    /// The file has a name other processes can open (the <c>-mem-path</c> file itself). Then a page
    /// this process never touched may hold the file's data rather than zero, and a shared mapping
    /// may be written behind KVM's dirty log.
    /// </summary>
    public bool IsNamed { get; }

    /// <summary>Null when RAM is private anonymous memory; otherwise the file, at least <paramref name="totalSize"/> long.</summary>
    public static RamBackingFile? Open(GuestMemoryBacking backing, ulong totalSize)
    {
        if (backing.Path is null)
            return backing.Shared ? Sized(Errno.Check(Libc.MemfdCreate("tern-guest-ram", Libc.MFD_CLOEXEC), "memfd_create for guest RAM"), "a memfd", false, totalSize) : null;
        if (Directory.Exists(backing.Path))
        {
            string file = System.IO.Path.Combine(backing.Path, $"tern-ram-{Environment.ProcessId}-{Guid.NewGuid():N}");
            int fd = Errno.Check(Libc.Open(file, Libc.O_RDWR | Libc.O_CREAT | Libc.O_EXCL | Libc.O_CLOEXEC, 0x180), $"creating {file} for guest RAM");
            Libc.Unlink(file); // nothing else can reach it, and it goes when the mappings do
            return Sized(fd, backing.Path, false, totalSize);
        }
        int named = Errno.Check(Libc.Open(backing.Path, Libc.O_RDWR | Libc.O_CREAT | Libc.O_CLOEXEC, 0x180), $"opening -mem-path {backing.Path}");
        return Sized(named, backing.Path, true, totalSize);
    }

    private static unsafe RamBackingFile Sized(int fd, string description, bool named, ulong totalSize)
    {
        var handle = new KvmHandle(fd);
        try
        {
            Libc.StatFs fs;
            Errno.Check(Libc.FStatFs(fd, &fs), $"fstatfs of {description}");
            bool hugetlbfs = fs.Type == Libc.HUGETLBFS_MAGIC;
            var file = new RamBackingFile(handle, description, totalSize, hugetlbfs ? (ulong)fs.BlockSize : 4096, hugetlbfs, named);
            if (totalSize % file.PageSize != 0)
                throw new GuestMemoryBackingException(
                    $"guest RAM of {totalSize} bytes is not a whole number of {description}'s {file.PageSize >> 10} KiB pages");
            long size = Libc.LSeek(fd, 0, Libc.SEEK_END);
            if (size < (long)totalSize) Errno.Check(Libc.FTruncate(fd, (long)totalSize), $"sizing {description} to {totalSize >> 20} MiB");
            return file;
        }
        catch
        {
            handle.Dispose();
            throw;
        }
    }

    /// <summary>mmap could not reserve the hugetlbfs pool's pages: the whole need, and where to look.</summary>
    public GuestMemoryBackingException PoolTooSmall() => new(
        $"the hugetlbfs pool behind {Description} has too few free {PageSize >> 20} MiB pages for {TotalSize >> 20} MiB of guest RAM (see HugePages_Free in /proc/meminfo)");

    public void Dispose() => _handle.Dispose();
}

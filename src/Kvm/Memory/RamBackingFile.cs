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

    /// <summary>The memfd seals (F_GET_SEALS), or -1 for a file that cannot carry any.</summary>
    public int Seals
    {
        get
        {
            using var fd = _handle.Borrow();
            return Libc.Fcntl(fd.Number, Libc.F_GET_SEALS) is var seals and >= 0 ? seals : -1;
        }
    }

    /// <summary>
    /// A same-host migration source's RAM file, received as <paramref name="received"/>, if it can
    /// stand in for <paramref name="own"/>: a regular file of exactly this RAM's size, with the same
    /// seals and page size. Otherwise throws a one-line <see cref="GuestMemoryBackingException"/>
    /// naming both values (and the descriptor is closed).
    /// </summary>
    internal static unsafe RamBackingFile Adopt(KvmHandle received, RamBackingFile own)
    {
        try
        {
            using var fd = received.Borrow();
            Libc.statx st;
            Errno.Check(Libc.Statx(fd.Number, "", Libc.AT_EMPTY_PATH, Libc.STATX_TYPE | Libc.STATX_SIZE, &st), "statx of the source's guest RAM descriptor");
            if ((st.stx_mode & Libc.S_IFMT) != Libc.S_IFREG)
                throw new GuestMemoryBackingException($"the source's guest RAM descriptor is not a regular file (mode 0x{st.stx_mode:x})");
            if (st.stx_size != own.TotalSize)
                throw new GuestMemoryBackingException(
                    $"the source's shared guest RAM is {st.stx_size} bytes ({st.stx_size >> 20} MiB), guest RAM here is {own.TotalSize} bytes ({own.TotalSize >> 20} MiB)");
            Libc.StatFs fs;
            Errno.Check(Libc.FStatFs(fd.Number, &fs), "fstatfs of the source's guest RAM descriptor");
            bool hugetlbfs = fs.Type == Libc.HUGETLBFS_MAGIC;
            var file = new RamBackingFile(received, "the source's guest RAM", own.TotalSize, hugetlbfs ? (ulong)fs.BlockSize : 4096, hugetlbfs, named: false);
            if (file.PageSize != own.PageSize)
                throw new GuestMemoryBackingException(
                    $"the source's shared guest RAM has {file.PageSize >> 10} KiB pages, guest RAM here has {own.PageSize >> 10} KiB pages");
            if (file.Seals != own.Seals)
                throw new GuestMemoryBackingException($"the source's shared guest RAM has seals 0x{file.Seals:x}, guest RAM here has 0x{own.Seals:x}");
            return file;
        }
        catch
        {
            received.Dispose();
            throw;
        }
    }

    /// <summary>mmap could not reserve the hugetlbfs pool's pages: the whole need, and where to look.</summary>
    public GuestMemoryBackingException PoolTooSmall() => new(
        $"the hugetlbfs pool behind {Description} has too few free {PageSize >> 20} MiB pages for {TotalSize >> 20} MiB of guest RAM (see HugePages_Free in /proc/meminfo)");

    public void Dispose() => _handle.Dispose();
}

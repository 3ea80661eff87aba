using Tern.Kvm.Interop;

namespace Tern.Kvm.Memory;

/// <summary>One contiguous run of guest RAM: a host mapping, anonymous or of a <see cref="RamBackingFile"/>.</summary>
public sealed class GuestRegion : IDisposable
{
    private nint _host;
    private bool _removable;

    /// <param name="file">The file to map from at <paramref name="fileOffset"/>, or null for anonymous memory.</param>
    internal GuestRegion(ulong start, ulong size, GuestMemoryBacking backing, RamBackingFile? file, long fileOffset)
    {
        Start = start;
        Size = size;
        FileOffset = fileOffset;
        int share = backing.Shared ? Libc.MAP_SHARED : Libc.MAP_PRIVATE;
        // Without MAP_NORESERVE hugetlbfs reserves the pool's pages now, so a short pool fails here, not as a fault in the guest.
        int reserve = file is { IsHugetlbfs: true } ? 0 : Libc.MAP_NORESERVE;
        if (file is null)
            _host = Libc.MMap(0, (nuint)size, Libc.PROT_READ | Libc.PROT_WRITE, share | Libc.MAP_ANONYMOUS | reserve, -1, 0);
        else
        {
            using var fd = file.Borrow();
            _host = Libc.MMap(0, (nuint)size, Libc.PROT_READ | Libc.PROT_WRITE, share | reserve, fd.Number, fileOffset);
        }
        if (_host == Libc.MAP_FAILED)
        {
            int errno = System.Runtime.InteropServices.Marshal.GetLastPInvokeError();
            string from = file is null ? "" : $" from {file.Description}";
            if (file is { IsHugetlbfs: true } && errno == Errno.ENOMEM) throw file.PoolTooSmall();
            throw new KvmException(errno, $"mmap of {size >> 20} MiB guest RAM{from}");
        }
        Advise(backing, file);
        _removable = backing.Shared && file is { IsNamed: false };
        Dirty = new DirtyBitmap(size / Arch.MemoryLayout.PageSize);
    }

    private void Advise(GuestMemoryBacking backing, RamBackingFile? file)
    {
        if (backing.TransparentHugePages && file is not { IsHugetlbfs: true }) Libc.MAdvise(_host, (nuint)Size, Libc.MADV_HUGEPAGE);
        if (!backing.DumpInCore) Libc.MAdvise(_host, (nuint)Size, Libc.MADV_DONTDUMP);
    }

    /// <summary>
    /// Maps <paramref name="file"/> (a same-host migration source's RAM) in place of this region's
    /// own pages, at the same host address, so KVM's memory slot goes on pointing at it and the
    /// kernel's MMU notifier drops what the old mapping had. Only shared files come here.
    /// </summary>
    internal void Remap(RamBackingFile file, GuestMemoryBacking backing)
    {
        KeepFileOnDiscard();
        int reserve = file.IsHugetlbfs ? 0 : Libc.MAP_NORESERVE;
        using var fd = file.Borrow();
        nint at = Libc.MMap(_host, (nuint)Size, Libc.PROT_READ | Libc.PROT_WRITE, Libc.MAP_SHARED | Libc.MAP_FIXED | reserve, fd.Number, FileOffset);
        if (at == Libc.MAP_FAILED)
            throw new KvmException(System.Runtime.InteropServices.Marshal.GetLastPInvokeError(), $"mmap of {Size >> 20} MiB of the source's guest RAM");
        Advise(backing, file);
    }

    /// <summary>
    /// Maps <paramref name="length"/> bytes of <paramref name="fd"/> from <paramref name="fileOffset"/>
    /// privately (copy-on-write) in place of this region's own pages, at the same host address, so
    /// KVM's memory slot goes on pointing at it: a snapshot's image of this region, whose pages the
    /// page cache supplies as the guest touches them and whose writes stay in this process.
    /// </summary>
    internal void MapImage(int fd, long fileOffset, GuestMemoryBacking backing)
    {
        nint at = Libc.MMap(_host, (nuint)Size, Libc.PROT_READ | Libc.PROT_WRITE, Libc.MAP_PRIVATE | Libc.MAP_FIXED | Libc.MAP_NORESERVE, fd, fileOffset);
        if (at == Libc.MAP_FAILED)
            throw new KvmException(System.Runtime.InteropServices.Marshal.GetLastPInvokeError(), $"mmap of {Size >> 20} MiB of guest RAM from the snapshot");
        Advise(backing, null);
    }

    /// <summary>
    /// Another process maps this region's file too (a same-host migration's peer): from now on
    /// <see cref="Discard"/> only unmaps, never punches the pages out of the file they share.
    /// </summary>
    internal void KeepFileOnDiscard() => _removable = false;

    public ulong Start { get; }
    public ulong Size { get; }
    public ulong End => Start + Size;
    public DirtyBitmap Dirty { get; }

    /// <summary>
    /// Where this region starts in guest RAM laid out back to back, region after region in address
    /// order: its place in the RAM file and in a snapshot's image of RAM.
    /// </summary>
    public long FileOffset { get; }

    internal nint Host => _host;

    public bool Contains(ulong gpa, ulong length) => gpa >= Start && length <= Size && gpa - Start <= Size - length;

    /// <summary>The host address of <paramref name="gpa"/>; the caller has checked <see cref="Contains"/>.</summary>
    internal nint HostAddress(ulong gpa) => _host + (nint)(gpa - Start);

    /// <summary>A view of [gpa, gpa+length); the caller has checked <see cref="Contains"/>.</summary>
    internal unsafe Span<byte> Slice(ulong gpa, int length) =>
        // SAFETY: the mapping lives until Dispose and the range lies inside it (checked by callers).
        new((byte*)_host + (gpa - Start), length);

    /// <summary>
    /// Backs [gpa, gpa+length) with memory now, in one call rather than one fault per page (a kernel
    /// before 5.14 lacks MADV_POPULATE_WRITE: then one touch per page). Returns 0, or the errno that
    /// stopped it. The caller has checked <see cref="Contains"/>.
    /// </summary>
    internal int Populate(ulong gpa, ulong length)
    {
        if (Libc.MAdvise(HostAddress(gpa), (nuint)length, Libc.MADV_POPULATE_WRITE) == 0) return 0;
        int errno = System.Runtime.InteropServices.Marshal.GetLastPInvokeError();
        if (errno != Errno.EINVAL) return errno;
        TouchEachPage(HostAddress(gpa), length);
        return 0;
    }

    /// <summary>Reads and writes back one byte per page: backs it without changing what it holds.</summary>
    private static unsafe void TouchEachPage(nint start, ulong length)
    {
        for (ulong offset = 0; offset < length; offset += Arch.MemoryLayout.PageSize)
        {
            byte* page = (byte*)start + offset;
            Volatile.Write(ref *page, Volatile.Read(ref *page));
        }
    }

    /// <summary>
    /// Gives the pages back to the host (after a migration the source frees its RAM). Unmapping
    /// a shared page leaves it in its file, so this process's own file has the range punched out.
    /// </summary>
    public void Discard()
    {
        if (!_removable || Libc.MAdvise(_host, (nuint)Size, Libc.MADV_REMOVE) != 0) Libc.MAdvise(_host, (nuint)Size, Libc.MADV_DONTNEED);
    }

    public void Dispose()
    {
        if (_host != 0) Libc.MUnmap(_host, (nuint)Size);
        _host = 0;
    }
}

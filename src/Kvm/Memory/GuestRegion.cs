using Tern.Kvm.Interop;

namespace Tern.Kvm.Memory;

/// <summary>One contiguous run of guest RAM backed by an anonymous host mapping.</summary>
public sealed class GuestRegion : IDisposable
{
    private nint _host;

    /// <param name="hugePages">Let the host back the region with transparent huge pages (see <see cref="GuestMemory"/>).</param>
    internal GuestRegion(ulong start, ulong size, bool hugePages)
    {
        Start = start;
        Size = size;
        _host = Libc.MMap(0, (nuint)size, Libc.PROT_READ | Libc.PROT_WRITE,
            Libc.MAP_PRIVATE | Libc.MAP_ANONYMOUS | Libc.MAP_NORESERVE, -1, 0);
        if (_host == Libc.MAP_FAILED)
            throw new KvmException(System.Runtime.InteropServices.Marshal.GetLastPInvokeError(), $"mmap of {size >> 20} MiB guest RAM");
        if (hugePages) Libc.MAdvise(_host, (nuint)size, Libc.MADV_HUGEPAGE);
        Dirty = new DirtyBitmap(size / Arch.MemoryLayout.PageSize);
    }

    public ulong Start { get; }
    public ulong Size { get; }
    public ulong End => Start + Size;
    public DirtyBitmap Dirty { get; }

    internal nint Host => _host;

    public bool Contains(ulong gpa, ulong length) => gpa >= Start && length <= Size && gpa - Start <= Size - length;

    /// <summary>The host address of <paramref name="gpa"/>; the caller has checked <see cref="Contains"/>.</summary>
    internal nint HostAddress(ulong gpa) => _host + (nint)(gpa - Start);

    /// <summary>A view of [gpa, gpa+length); the caller has checked <see cref="Contains"/>.</summary>
    internal unsafe Span<byte> Slice(ulong gpa, int length) =>
        // SAFETY: the mapping lives until Dispose and the range lies inside it (checked by callers).
        new((byte*)_host + (gpa - Start), length);

    /// <summary>Backs [gpa, gpa+length) with memory now, in one call rather than one fault per page; the caller has checked <see cref="Contains"/>.</summary>
    internal void Populate(ulong gpa, ulong length) => Libc.MAdvise(HostAddress(gpa), (nuint)length, Libc.MADV_POPULATE_WRITE);

    /// <summary>Gives the pages back to the host (after a migration the source frees its RAM).</summary>
    public void Discard() => Libc.MAdvise(_host, (nuint)Size, Libc.MADV_DONTNEED);

    public void Dispose()
    {
        if (_host != 0) Libc.MUnmap(_host, (nuint)Size);
        _host = 0;
    }
}

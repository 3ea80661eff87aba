using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using Tern.Kvm.Arch;

namespace Tern.Kvm.Memory;

/// <summary>
/// Guest RAM and the only way to reach it: bounds-checked reads and writes by guest-physical
/// address. Every write made through this class marks the VMM dirty bitmap, so that device
/// writes reach a migration even though KVM's dirty log does not see them.
/// </summary>
public sealed partial class GuestMemory : IDisposable
{
    private readonly GuestRegion[] _regions;
    private readonly Lazy<HostPageMap?> _pageMap = new(HostPageMap.TryOpen);

    /// <summary>A page the host has not backed reads zero: private anonymous RAM, until a snapshot image is mapped under it.</summary>
    private bool _unbackedReadsZero;
    /// <summary>
    /// The file RAM is mapped from, kept open: its holes tell which pages were never written, and a
    /// same-host migration hands its descriptor to the destination. Null for anonymous RAM.
    /// </summary>
    private RamBackingFile? _file;
    private readonly GuestMemoryBacking _backing;

    /// <param name="backing">
    /// How the host backs RAM; the default is private anonymous memory with transparent huge
    /// pages, as QEMU maps it: fewer faults and TLB misses for the guest. A destination receiving
    /// into 4 KiB pages got its pages 2-3x faster on this project's test host (a Firecracker VM
    /// whose free memory goes back to its hypervisor, so every huge page is backed afresh), but
    /// the guest then ran a 256 MiB sweep 200-300 ms slower after the switch-over, one KVM fault
    /// per 4 KiB: huge pages stay.
    /// </param>
    public GuestMemory(IEnumerable<(ulong Start, ulong Size)> ranges, GuestMemoryBacking? backing = null)
    {
        backing ??= GuestMemoryBacking.Default;
        _backing = backing;
        var layout = ranges.ToArray();
        ulong total = 0;
        foreach (var (_, size) in layout) total = checked(total + size);
        TotalSize = total;

        var file = RamBackingFile.Open(backing, total);
        var regions = new List<GuestRegion>();
        try
        {
            long offset = 0;
            foreach (var (start, size) in layout)
            {
                if (file is not null && size % file.PageSize != 0)
                    throw new GuestMemoryBackingException(
                        $"guest RAM region 0x{start:x}+0x{size:x} is not a whole number of {file.Description}'s {file.PageSize >> 10} KiB pages");
                regions.Add(new GuestRegion(start, size, backing, file, offset));
                offset += (long)size;
            }
            _regions = regions.ToArray();
            if (backing.Prealloc) RamPreallocator.Populate(_regions, file?.PageSize ?? MemoryLayout.PageSize);
        }
        catch
        {
            foreach (var r in regions) r.Dispose();
            file?.Dispose();
            throw;
        }
        _file = file;
        // A page the host never backed reads zero unless it comes from a file others can write;
        // a shared page can also be backed without this process's page tables showing it.
        _unbackedReadsZero = !backing.Shared && file is not { IsNamed: true };
        if (backing.Shared && file is { IsNamed: true })
            MigrationBlocker = $"guest RAM is a shared mapping of {file.Description}, which other processes can write without KVM's dirty log seeing it";
    }

    /// <summary>
    /// The file to hand to a same-host migration's destination: shared RAM of a file nothing else
    /// can open (a memfd, or a -mem-path directory's unlinked file). Null for private or named RAM.
    /// </summary>
    internal RamBackingFile? HandOverFile => _backing.Shared && _file is { IsNamed: false } file ? file : null;

    /// <summary>Whether this RAM can be handed to another process on this host instead of copied (see <see cref="RamHandover"/>).</summary>
    public bool CanHandOver => HandOverFile is not null;

    /// <summary>Every region keeps its file's pages on discard: another process maps them now.</summary>
    internal void KeepFileOnDiscard()
    {
        foreach (var r in _regions) r.KeepFileOnDiscard();
    }

    /// <summary>
    /// Maps the source's RAM file in place of this RAM's own, region by region at the same host
    /// addresses, then lets go of the own file (its pages were never the guest's).
    /// </summary>
    internal void Adopt(RamBackingFile received)
    {
        KeepFileOnDiscard();
        try
        {
            foreach (var r in _regions) r.Remap(received, _backing);
        }
        catch
        {
            received.Dispose(); // the regions it did map keep the file alive; this VM is discarded
            throw;
        }
        var own = _file;
        _file = received;
        own?.Dispose();
    }

    /// <summary>Why this RAM cannot be migrated, or null when it can.</summary>
    public string? MigrationBlocker { get; }

    /// <summary>RAM laid out the q35 way for <paramref name="ramSize"/> bytes.</summary>
    public static GuestMemory ForRamSize(ulong ramSize, GuestMemoryBacking? backing = null) => new(MemoryLayout.RamRanges(ramSize), backing);

    public IReadOnlyList<GuestRegion> Regions => _regions;
    public ulong TotalSize { get; }

    /// <summary>Turns VMM-side dirty tracking on or off for every region.</summary>
    public void TrackDirty(bool enabled)
    {
        foreach (var r in _regions) r.Dirty.Enabled = enabled;
    }

    public bool IsRam(ulong gpa, ulong length) => Find(gpa, length) is not null;

    private GuestRegion? Find(ulong gpa, ulong length)
    {
        foreach (var r in _regions)
            if (r.Contains(gpa, length)) return r;
        return null;
    }

    private GuestRegion Require(ulong gpa, ulong length) => Find(gpa, length) ?? throw new GuestMemoryException(gpa, length);

    /// <summary>A read-only view for zero-copy consumers (sockets, files); throws if out of range.</summary>
    public ReadOnlySpan<byte> ReadSpan(ulong gpa, int length) => Require(gpa, (ulong)length).Slice(gpa, length);

    /// <summary>A writable view; marks the pages dirty first. Throws if out of range.</summary>
    public Span<byte> WriteSpan(ulong gpa, int length)
    {
        var region = Require(gpa, (ulong)length);
        MarkDirty(region, gpa, (ulong)length);
        return region.Slice(gpa, length);
    }

    /// <summary>
    /// Marks which pages from <paramref name="gpa"/> (one flag per page) the host holds memory for;
    /// a page it does not reads as zero and can be skipped without a fault. Private RAM asks this
    /// process's page map; shared RAM of an unnamed file (a memfd) asks the file for its holes.
    /// False when the host cannot tell (or RAM is a named file's, which others may fill): then
    /// treat every page as backed. Throws if out of range.
    /// </summary>
    public bool TryGetBacked(ulong gpa, Span<bool> backed)
    {
        var region = Require(gpa, (ulong)backed.Length * MemoryLayout.PageSize);
        if (gpa % MemoryLayout.PageSize != 0) return false;
        if (_unbackedReadsZero) return _pageMap.Value is { } map && map.TryRead(region.HostAddress(gpa), backed);
        return _file is { IsNamed: false } file && RamFileHoles.TryRead(file, region.FileOffset + (long)(gpa - region.Start), backed);
    }

    /// <summary>
    /// Backs [gpa, gpa+length) with host memory now, ahead of a bulk write (a migration's incoming
    /// pages): one call instead of a fault per page. Only a hint: if the host refuses, the write
    /// faults the pages in as usual. Throws if out of range.
    /// </summary>
    public void Populate(ulong gpa, ulong length) => Require(gpa, length).Populate(gpa, length);

    public void Read(ulong gpa, Span<byte> destination) => ReadSpan(gpa, destination.Length).CopyTo(destination);

    public void Write(ulong gpa, ReadOnlySpan<byte> source) => source.CopyTo(WriteSpan(gpa, source.Length));

    public bool TryRead(ulong gpa, Span<byte> destination)
    {
        var region = Find(gpa, (ulong)destination.Length);
        if (region is null) return false;
        region.Slice(gpa, destination.Length).CopyTo(destination);
        return true;
    }

    public bool TryWrite(ulong gpa, ReadOnlySpan<byte> source)
    {
        var region = Find(gpa, (ulong)source.Length);
        if (region is null) return false;
        MarkDirty(region, gpa, (ulong)source.Length);
        source.CopyTo(region.Slice(gpa, source.Length));
        return true;
    }

    public T ReadObj<T>(ulong gpa) where T : unmanaged
    {
        Span<byte> buffer = stackalloc byte[Unsafe.SizeOf<T>()];
        Read(gpa, buffer);
        return MemoryMarshal.Read<T>(buffer);
    }

    public void WriteObj<T>(ulong gpa, in T value) where T : unmanaged =>
        Write(gpa, MemoryMarshal.AsBytes(new ReadOnlySpan<T>(in value)));

    /// <summary>Reads a value with one aligned load (virtqueue indexes shared with the guest).</summary>
    public ushort ReadVolatileU16(ulong gpa) =>
        Volatile.Read(ref MemoryMarshal.Cast<byte, ushort>(Require(gpa, 2).Slice(gpa, 2))[0]);

    /// <summary>Writes a value with one store, visible to the guest after earlier writes.</summary>
    public void WriteVolatileU16(ulong gpa, ushort value)
    {
        var span = WriteSpan(gpa, 2);
        Volatile.Write(ref MemoryMarshal.Cast<byte, ushort>(span)[0], value);
    }

    private static void MarkDirty(GuestRegion region, ulong gpa, ulong length)
    {
        if (!region.Dirty.Enabled || length == 0) return;
        ulong first = (gpa - region.Start) / MemoryLayout.PageSize;
        ulong last = (gpa - region.Start + length - 1) / MemoryLayout.PageSize;
        region.Dirty.Mark(first, last - first + 1);
    }

    public void Dispose()
    {
        foreach (var r in _regions) r.Dispose();
        _file?.Dispose();
        if (_pageMap.IsValueCreated) _pageMap.Value?.Dispose();
    }
}

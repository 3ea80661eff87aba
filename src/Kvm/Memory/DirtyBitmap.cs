namespace Tern.Kvm.Memory;

/// <summary>
/// One bit per 4 KiB page of a RAM region, set by the VMM when a device writes guest memory
/// (KVM's dirty log only sees writes made by vCPUs). Thread-safe: devices mark from I/O threads.
/// </summary>
public sealed class DirtyBitmap
{
    private readonly ulong[] _words;

    public DirtyBitmap(ulong pages)
    {
        Pages = pages;
        _words = new ulong[(pages + 63) / 64];
    }

    public ulong Pages { get; }

    /// <summary>When false, <see cref="Mark"/> is a no-op (no migration is tracking writes).</summary>
    public volatile bool Enabled;

    public void Mark(ulong firstPage, ulong pageCount)
    {
        if (!Enabled) return;
        for (ulong p = firstPage; p < firstPage + pageCount && p < Pages; p++)
            Interlocked.Or(ref _words[p / 64], 1UL << (int)(p % 64));
    }

    /// <summary>ORs the marked pages into <paramref name="into"/> and clears them here.</summary>
    public void DrainInto(Span<ulong> into)
    {
        for (int i = 0; i < _words.Length && i < into.Length; i++)
            into[i] |= Interlocked.Exchange(ref _words[i], 0);
    }
}

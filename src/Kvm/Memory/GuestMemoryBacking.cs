namespace Tern.Kvm.Memory;

/// <summary>
/// How the host backs guest RAM: StratoVirt's <c>-mem-path</c>, <c>-mem-prealloc</c> and
/// <c>-machine mem-share=..,dump-guest-core=..</c>. The default is private anonymous memory with
/// transparent huge pages, faulted in as the guest touches it.
/// </summary>
public sealed record GuestMemoryBacking
{
    public static readonly GuestMemoryBacking Default = new();

    /// <summary>
    /// A directory (a file is made there and unlinked at once) or a file to map guest RAM from;
    /// on hugetlbfs that gives the guest the pool's huge pages. Null: anonymous memory.
    /// </summary>
    public string? Path { get; init; }

    /// <summary>Map RAM shared (MAP_SHARED; a memfd when there is no <see cref="Path"/>) instead of private.</summary>
    public bool Shared { get; init; }

    /// <summary>Back every page at start, so the guest never waits for a fault (and a short hugetlbfs pool fails at start).</summary>
    public bool Prealloc { get; init; }

    /// <summary>Include guest RAM in a core dump of the VMM (MADV_DONTDUMP when false).</summary>
    public bool DumpInCore { get; init; } = true;

    /// <summary>Ask for transparent huge pages (not applicable on hugetlbfs, whose pages are huge already).</summary>
    public bool TransparentHugePages { get; init; } = true;
}

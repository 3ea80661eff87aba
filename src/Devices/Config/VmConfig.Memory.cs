namespace Tern.Devices.Config;

/// <summary>Why a size cannot be a guest's RAM.</summary>
public enum MemorySizeProblem { BelowMinimum, NotWholePages }

public sealed partial record VmConfig
{
    /// <summary>RAM when none is asked for: <c>-m</c> left out, or no memory in an API request.</summary>
    public const ulong DefaultMemoryBytes = 256UL << 20;
    /// <summary>The least RAM Tern gives a guest.</summary>
    public const ulong MinimumMemoryBytes = 32UL << 20;
    /// <summary>RAM is mapped into the guest in whole pages of this size.</summary>
    public const ulong MemoryPageBytes = 4096;

    /// <summary>
    /// The memory rule every front end applies (command line, HTTP API, cluster definitions): null
    /// when <paramref name="bytes"/> is a valid RAM size. Each front end words the problem in its
    /// own units: the command line in <c>-m</c>'s (32M), the cluster in MiB.
    /// </summary>
    public static MemorySizeProblem? CheckMemorySize(ulong bytes) =>
        bytes < MinimumMemoryBytes ? MemorySizeProblem.BelowMinimum
        : bytes % MemoryPageBytes != 0 ? MemorySizeProblem.NotWholePages
        : null;
}

namespace Tern.Devices.Config;

public sealed partial record VmConfig
{
    /// <summary>RAM when none is asked for: <c>-m</c> left out, or no memory in an API request.</summary>
    public const ulong DefaultMemoryBytes = 256UL << 20;
    /// <summary>The least RAM Tern gives a guest.</summary>
    public const ulong MinimumMemoryBytes = 32UL << 20;
    /// <summary>RAM is mapped into the guest in whole pages of this size.</summary>
    public const ulong MemoryPageBytes = 4096;
}

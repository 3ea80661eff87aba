using Tern.Kvm.Arch;

namespace Tern.Kvm.Boot;

/// <summary>The e820 type codes Linux and PVH share.</summary>
public enum E820Type : uint
{
    Ram = 1,
    Reserved = 2,
}

/// <summary>One range of the guest's physical memory map (a class: lists of it then use the framework's precompiled shared generic code).</summary>
public sealed record E820Entry(ulong Address, ulong Size, E820Type Type)
{
    public ulong End => Address + Size;
}

/// <summary>
/// The guest's memory map, the single source of truth for the zero page and the PVH memmap:
/// low RAM up to the EBDA, the EBDA and BIOS area reserved (MP and ACPI tables live there), RAM
/// from 1 MiB to the PCI hole, ECAM reserved (Linux trusts MCFG only if e820 reserves it), and
/// RAM above 4 GiB for whatever did not fit below.
/// </summary>
public static class E820Map
{
    /// <summary>The smallest RAM the map can describe: something above 1 MiB for the kernel.</summary>
    public const ulong MinRamSize = 2 * MemoryLayout.HighMemoryStart;

    public static IReadOnlyList<E820Entry> Build(ulong ramSize)
    {
        if (ramSize < MinRamSize)
            throw new BootException($"RAM size {ramSize} is below the minimum of {MinRamSize} bytes");
        var entries = new List<E820Entry>
        {
            new(0, MemoryLayout.EbdaStart, E820Type.Ram),
            new(MemoryLayout.EbdaStart, VgaStart - MemoryLayout.EbdaStart, E820Type.Reserved),
            new(MemoryLayout.BiosStart, MemoryLayout.BiosEnd - MemoryLayout.BiosStart, E820Type.Reserved),
            new(MemoryLayout.HighMemoryStart, MemoryLayout.LowRamSize(ramSize) - MemoryLayout.HighMemoryStart, E820Type.Ram),
            new(MemoryLayout.EcamBase, MemoryLayout.EcamSize, E820Type.Reserved),
        };
        if (MemoryLayout.HighRamSize(ramSize) > 0)
            entries.Add(new(MemoryLayout.FourGiB, MemoryLayout.HighRamSize(ramSize), E820Type.Ram));
        return entries;
    }

    // The legacy VGA window starts here; conventional memory ends below it.
    private const ulong VgaStart = 0xa0000;
}

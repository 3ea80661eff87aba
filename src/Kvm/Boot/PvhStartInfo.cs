using Tern.Kvm.Arch;
using Tern.Kvm.Memory;

namespace Tern.Kvm.Boot;

/// <summary>
/// Writes what a PVH kernel finds through ebx: hvm_start_info (version 1, with the memory map),
/// the memory map itself, and the initrd as the one module (xen/include/public/arch-x86/hvm/start_info.h).
/// </summary>
internal static class PvhStartInfo
{
    public const uint Magic = 0x336e_c578;
    public const int Size = 56;
    public const int MemMapEntrySize = 24;
    public const int ModListEntrySize = 32;

    public static void Write(GuestMemory memory, ulong cmdlineAddress, ulong rsdpAddress, InitrdLocation? initrd, IReadOnlyList<E820Entry> e820)
    {
        if (e820.Count > MemoryLayout.PvhMemMapMaxEntries)
            throw new BootException($"the e820 map has {e820.Count} entries, more than PVH's {MemoryLayout.PvhMemMapMaxEntries}");

        var map = new ByteWriter(e820.Count * MemMapEntrySize);
        foreach (var e in e820) map.U64(e.Address).U64(e.Size).U32((uint)e.Type).U32(0);
        memory.Write(MemoryLayout.PvhMemMap, map.Written);

        if (initrd is { } rd)
        {
            var module = new ByteWriter(ModListEntrySize).U64(rd.Address).U64(rd.Size).U64(0).U64(0);
            memory.Write(MemoryLayout.PvhModList, module.Written);
        }

        var info = new ByteWriter(Size)
            .U32(Magic)
            .U32(1) // version 1: memmap_paddr and memmap_entries are present
            .U32(0) // flags
            .U32(initrd is null ? 0u : 1u)
            .U64(initrd is null ? 0 : MemoryLayout.PvhModList)
            .U64(cmdlineAddress)
            .U64(rsdpAddress)
            .U64(MemoryLayout.PvhMemMap)
            .U32((uint)e820.Count)
            .U32(0);
        memory.Write(MemoryLayout.PvhStartInfo, info.Written);
    }
}

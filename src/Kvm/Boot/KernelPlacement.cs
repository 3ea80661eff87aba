using Tern.Kvm.Arch;
using Tern.Kvm.Memory;

namespace Tern.Kvm.Boot;

/// <summary>
/// Where a kernel may put its bytes: guest RAM from 1 MiB to the top of low RAM. Everything below
/// 1 MiB belongs to the boot structures (zero page, page tables, command line, MP and ACPI tables).
/// </summary>
internal static class KernelPlacement
{
    /// <summary>Throws unless [address, address+size) lies in loadable RAM.</summary>
    public static void Require(GuestMemory memory, ulong ramSize, BootFile file, string what, ulong address, ulong size)
    {
        ulong top = MemoryLayout.LowRamSize(ramSize);
        bool inside = address >= MemoryLayout.HighMemoryStart && address <= top && size <= top - address
                      && (size == 0 || memory.IsRam(address, size));
        if (!inside)
            throw new BootException(
                $"{file.Role} {file.Path}: {what} at 0x{address:x}+0x{size:x} is outside loadable RAM [0x{MemoryLayout.HighMemoryStart:x}, 0x{top:x})");
    }
}

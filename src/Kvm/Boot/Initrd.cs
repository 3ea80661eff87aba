using Tern.Kvm.Arch;
using Tern.Kvm.Memory;

namespace Tern.Kvm.Boot;

/// <summary>Where the initrd landed in guest RAM.</summary>
internal readonly record struct InitrdLocation(ulong Address, ulong Size);

/// <summary>
/// Places the initrd page-aligned as high as the kernel allows (below its ceiling and the top of
/// low RAM) and above the kernel, as QEMU and Cloud Hypervisor do, so the kernel's own
/// allocations near its image never collide with it.
/// </summary>
internal static class Initrd
{
    public static InitrdLocation Load(GuestMemory memory, ulong ramSize, LoadedKernel kernel, string path)
    {
        using var file = BootFile.Open(path, "initrd");
        if (file.Length == 0) throw new BootException($"initrd {path} is empty");
        var location = Place(ramSize, kernel, file.Length)
            ?? throw new BootException(
                $"initrd {path} ({file.Length} bytes) does not fit between the kernel's end 0x{kernel.End:x} and 0x{Ceiling(ramSize, kernel):x}");
        if (!memory.IsRam(location.Address, location.Size))
            throw new BootException($"initrd {path}: 0x{location.Address:x}+0x{location.Size:x} is not guest RAM");
        file.CopyToGuest(memory, location.Address, 0, location.Size);
        return location;
    }

    /// <summary>The highest page-aligned place for <paramref name="size"/> bytes, or null if none.</summary>
    public static InitrdLocation? Place(ulong ramSize, LoadedKernel kernel, ulong size)
    {
        ulong ceiling = Ceiling(ramSize, kernel);
        if (size > ceiling) return null;
        ulong address = (ceiling - size) & ~(MemoryLayout.PageSize - 1);
        if (address < kernel.End) return null;
        return new InitrdLocation(address, size);
    }

    private static ulong Ceiling(ulong ramSize, LoadedKernel kernel) =>
        Math.Min(MemoryLayout.LowRamSize(ramSize), kernel.InitrdCeiling);
}

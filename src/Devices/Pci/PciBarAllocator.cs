using Tern.Kvm.Arch;

namespace Tern.Devices.Pci;

/// <summary>
/// Hands out naturally aligned BAR addresses from the machine's windows: memory BARs from the
/// 32-bit window below 4 GiB (small BARs stay reachable by guests that map only the low 4 GiB),
/// 64-bit BARs fall back to the window above RAM when the low one is full; I/O BARs from 0xC000.
/// </summary>
public sealed class PciBarAllocator(ulong mmio32Base, ulong mmio32End, ulong mmio64Base, ulong mmio64End, ulong ioBase = 0xc000, ulong ioEnd = 0x1_0000)
{
    private ulong _next32 = mmio32Base;
    private ulong _next64 = mmio64Base;
    private ulong _nextIo = ioBase;

    /// <summary>The q35 windows of <see cref="MemoryLayout"/> for a machine with <paramref name="ramSize"/> bytes.</summary>
    public static PciBarAllocator ForRamSize(ulong ramSize)
    {
        ulong high = MemoryLayout.Mmio64Base(ramSize);
        return new PciBarAllocator(MemoryLayout.Mmio32Base, MemoryLayout.Mmio32End, high, high + MemoryLayout.Mmio64Size);
    }

    /// <summary>Returns a free address aligned to the BAR's size; throws <see cref="PciBuildException"/> when a window is full.</summary>
    public ulong Allocate(PciBarDefinition bar, string owner)
    {
        if (bar.Kind == PciBarKind.Io)
            return Take(ref _nextIo, ioEnd, bar.Size) ?? throw Full("I/O port", bar, owner);
        if (Take(ref _next32, mmio32End, bar.Size) is { } low) return low;
        if (bar.Kind == PciBarKind.Memory64 && Take(ref _next64, mmio64End, bar.Size) is { } high) return high;
        throw Full("MMIO", bar, owner);
    }

    private static ulong? Take(ref ulong next, ulong end, ulong size)
    {
        ulong start = MemoryLayout.AlignUp(next, size);
        if (start < next || start > end || end - start < size) return null;
        next = start + size;
        return start;
    }

    private static PciBuildException Full(string window, PciBarDefinition bar, string owner) =>
        new($"device '{owner}': no room for BAR {bar.Index} (0x{bar.Size:x} bytes) in the PCI {window} window");
}

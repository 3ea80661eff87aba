namespace Tern.Kvm.Arch;

/// <summary>
/// The guest-physical map of Tern's q35 machine. RAM fills from 0 up to the 32-bit PCI hole
/// (which starts at <see cref="LowRamTop"/> and holds ECAM, the 32-bit BAR window, IOAPIC and
/// LAPIC); whatever does not fit below continues at 4 GiB.
/// </summary>
public static class MemoryLayout
{
    public const ulong PageSize = 4096;

    // Low-memory places the loaders use (below 1 MiB, as Firecracker and Cloud Hypervisor do).
    public const ulong GdtAddress = 0x500;
    public const ulong IdtAddress = 0x520;
    public const ulong PvhStartInfo = 0x6000;
    public const ulong PvhMemMap = 0x6040;
    public const int PvhMemMapMaxEntries = 128;
    public const ulong PvhModList = 0x6c40; // after the largest memmap (128 entries of 24 bytes)
    public const ulong ZeroPage = 0x7000;
    public const ulong BootStack = 0x8ff0;
    public const ulong Pml4 = 0x9000;
    public const ulong Pdpte = 0xa000;
    public const ulong Pde = 0xb000; // four pages: 0xb000..0xefff identity-map the first 4 GiB
    public const ulong CmdlineAddress = 0x20000;
    public const ulong EbdaStart = 0x9fc00;
    public const ulong MpTableAddress = 0x9fc00;
    public const ulong BiosStart = 0xe0000;   // ACPI RSDP and tables live here (Linux scans 0xe0000..0xfffff)
    public const ulong BiosEnd = 0x100000;
    public const ulong HighMemoryStart = 0x100000; // kernels load at 1 MiB

    // The 32-bit hole.
    public const ulong LowRamTop = 0xb000_0000;
    public const ulong EcamBase = 0xb000_0000;
    public const ulong EcamSize = 0x1000_0000; // 256 buses
    public const ulong Mmio32Base = 0xc000_0000;
    public const ulong Mmio32End = 0xfec0_0000;
    public const ulong IoApicBase = 0xfec0_0000;
    public const ulong LapicBase = 0xfee0_0000;
    public const ulong TssAddress = 0xfffb_d000;
    public const ulong IdentityMapAddress = 0xfffb_c000;
    public const ulong FourGiB = 0x1_0000_0000;

    /// <summary>Where 64-bit BARs go: above all RAM, 1 GiB aligned.</summary>
    public static ulong Mmio64Base(ulong ramSize) => AlignUp(Math.Max(FourGiB, HighRamEnd(ramSize)), 1UL << 30);

    public const ulong Mmio64Size = 64UL << 30;

    public static ulong LowRamSize(ulong ramSize) => Math.Min(ramSize, LowRamTop);

    public static ulong HighRamSize(ulong ramSize) => ramSize - LowRamSize(ramSize);

    public static ulong HighRamEnd(ulong ramSize) => FourGiB + HighRamSize(ramSize);

    /// <summary>The RAM ranges (start, size) that <paramref name="ramSize"/> bytes occupy.</summary>
    public static (ulong Start, ulong Size)[] RamRanges(ulong ramSize) =>
        HighRamSize(ramSize) > 0 ? [(0, LowRamSize(ramSize)), (FourGiB, HighRamSize(ramSize))] : [(0, LowRamSize(ramSize))];

    public static ulong AlignUp(ulong value, ulong alignment) => (value + alignment - 1) & ~(alignment - 1);
}

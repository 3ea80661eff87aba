namespace Tern.Kvm.Boot;

/// <summary>
/// Offsets and flags of boot_params (the zero page) and of the setup header inside it, from the
/// Linux x86 boot protocol (Documentation/arch/x86/boot.rst, zero-page.rst).
/// </summary>
internal static class SetupHeader
{
    public const int ZeroPageSize = 4096;

    // boot_params outside the setup header.
    public const int AcpiRsdpAddr = 0x070;
    public const int E820Entries = 0x1e8;
    public const int E820Table = 0x2d0;
    public const int E820MaxEntries = 128;
    public const int E820EntrySize = 20;

    // The setup header, as offsets in boot_params (and in a bzImage file).
    public const int Start = 0x1f1;
    public const int SetupSects = 0x1f1;
    public const int BootFlag = 0x1fe;
    public const int Jump = 0x200;
    public const int Header = 0x202;
    public const int Version = 0x206;
    public const int TypeOfLoader = 0x210;
    public const int LoadFlags = 0x211;
    public const int RamdiskImage = 0x218;
    public const int RamdiskSize = 0x21c;
    public const int HeapEndPtr = 0x224;
    public const int CmdLinePtr = 0x228;
    public const int InitrdAddrMax = 0x22c;
    public const int KernelAlignment = 0x230;
    public const int XLoadFlags = 0x236;
    public const int CmdlineSize = 0x238;
    public const int PrefAddress = 0x258;
    public const int InitSize = 0x260;
    /// <summary>boot_params continues with other fields here; a copied header never goes past it.</summary>
    public const int Limit = 0x290;

    public const ushort BootFlagMagic = 0xaa55;
    public const uint HeaderMagic = 0x5372_6448; // "HdrS"
    public const byte LoaderUndefined = 0xff;
    public const byte LoadedHigh = 0x01;
    public const byte CanUseHeap = 0x80;
    public const ushort XlfKernel64 = 0x01;
    public const ushort Protocol64BitEntry = 0x020c;
    public const ushort ProtocolInitrdAddrMax = 0x0203;
    public const ushort ProtocolCmdlineSize = 0x0206;
    public const ushort ProtocolInitSize = 0x020a;
    /// <summary>heap_end_ptr: the setup heap ends 64 KiB past the real-mode code; the field holds that less 0x200.</summary>
    public const ushort HeapEnd = 0x1_0000 - 0x200;
    /// <summary>Minimum alignment of a relocated vmlinux, as Firecracker and Cloud Hypervisor announce it.</summary>
    public const uint VmlinuxAlignment = 0x0100_0000;
}

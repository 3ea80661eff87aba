using Tern.Kvm.Interop;
using Tern.Kvm.Memory;

namespace Tern.Kvm.Arch;

/// <summary>
/// The register state a vCPU starts in for each boot protocol: Linux's 64-bit boot protocol
/// (long mode, identity-mapped low 4 GiB, rsi = zero page) or PVH (32-bit protected mode, paging
/// off, ebx = hvm_start_info). Also the MSRs and LAPIC wiring every boot vCPU needs.
/// </summary>
public static class BootCpuState
{
    private const ushort CodeSelector = 0x10; // __BOOT_CS, as the Linux boot protocol names it
    private const ushort DataSelector = 0x18; // __BOOT_DS
    private const ushort TssSelector = 0x20;

    private const ulong Cr0ProtectionEnable = 1;
    private const ulong Cr0ExtensionType = 1 << 4;
    private const ulong Cr0Paging = 1UL << 31;
    private const ulong Cr4Pae = 1 << 5;
    private const ulong EferLme = 1 << 8;
    private const ulong EferLma = 1 << 10;
    private const ulong PagePresentWritable = 0x3;
    private const ulong PageHuge = 0x80;

    /// <summary>MSRs given their architectural reset values (Firecracker's and Cloud Hypervisor's boot set).</summary>
    public static readonly (uint Index, ulong Value)[] BootMsrs =
    [
        (0x174, 0), (0x175, 0), (0x176, 0),             // IA32_SYSENTER_CS/ESP/EIP
        (0xc0000081, 0), (0xc0000082, 0), (0xc0000083, 0), (0xc0000084, 0), // STAR, LSTAR, CSTAR, SFMASK
        (0xc0000102, 0),                                   // KERNEL_GS_BASE
        (0x10, 0),                                         // TSC
        (0x1a0, 1),                                        // IA32_MISC_ENABLE: fast strings
        (0x2ff, (1 << 11) | 6),                            // MTRR default type: enabled, write-back
    ];

    /// <summary>Writes the boot GDT and, for Linux64, identity page tables for the low 4 GiB.</summary>
    public static void WriteTables(GuestMemory memory, bool longMode)
    {
        var gdt = Gdt(longMode);
        for (int i = 0; i < gdt.Length; i++) memory.WriteObj(MemoryLayout.GdtAddress + (ulong)i * 8, gdt[i].Encode());
        memory.WriteObj(MemoryLayout.IdtAddress, 0UL);
        if (!longMode) return;
        memory.WriteObj(MemoryLayout.Pml4, MemoryLayout.Pdpte | PagePresentWritable);
        for (ulong i = 0; i < 4; i++)
            memory.WriteObj(MemoryLayout.Pdpte + i * 8, (MemoryLayout.Pde + i * 0x1000) | PagePresentWritable);
        for (ulong j = 0; j < 4 * 512; j++)
            memory.WriteObj(MemoryLayout.Pde + j * 8, (j << 21) | PagePresentWritable | PageHuge);
    }

    private static GdtEntry[] Gdt(bool longMode) =>
        [GdtEntry.Null, GdtEntry.Null, longMode ? GdtEntry.Code64 : GdtEntry.Code32, GdtEntry.Data, GdtEntry.Tss];

    /// <summary>Segment and control registers for the protocol, starting from the vCPU's reset sregs.</summary>
    public static kvm_sregs Sregs(kvm_sregs sregs, bool longMode)
    {
        var gdt = Gdt(longMode);
        var data = gdt[3].ToSegment(DataSelector);
        sregs.cs = gdt[2].ToSegment(CodeSelector);
        sregs.ds = sregs.es = sregs.fs = sregs.gs = sregs.ss = data;
        sregs.tr = gdt[4].ToSegment(TssSelector);
        sregs.gdt = new kvm_dtable { @base = MemoryLayout.GdtAddress, limit = (ushort)(gdt.Length * 8 - 1) };
        sregs.idt = new kvm_dtable { @base = MemoryLayout.IdtAddress, limit = 7 };
        sregs.cr0 = (sregs.cr0 | Cr0ProtectionEnable | Cr0ExtensionType) & ~Cr0Paging;
        sregs.cr4 &= ~Cr4Pae;
        sregs.efer &= ~(EferLme | EferLma);
        if (longMode)
        {
            sregs.cr3 = MemoryLayout.Pml4;
            sregs.cr4 |= Cr4Pae;
            sregs.cr0 |= Cr0Paging;
            sregs.efer |= EferLme | EferLma;
        }
        return sregs;
    }

    /// <summary>General registers at the kernel's entry point.</summary>
    public static kvm_regs Regs(bool longMode, ulong entry, ulong bootInfo)
    {
        var regs = new kvm_regs { rflags = 2, rip = entry };
        if (longMode)
        {
            regs.rsp = regs.rbp = MemoryLayout.BootStack;
            regs.rsi = bootInfo;
        }
        else
        {
            regs.rbx = bootInfo;
        }
        return regs;
    }

    /// <summary>LAPIC LINT0 as ExtINT (the PIC) and LINT1 as NMI, as firmware leaves them.</summary>
    public static void WireLapicLints(Span<byte> lapic)
    {
        SetDeliveryMode(lapic, 0x350, 7);
        SetDeliveryMode(lapic, 0x360, 4);
    }

    private static void SetDeliveryMode(Span<byte> lapic, int register, uint mode)
    {
        uint value = BitConverter.ToUInt32(lapic[register..]);
        value = (value & ~0x700u) | (mode << 8);
        BitConverter.TryWriteBytes(lapic[register..], value);
    }
}

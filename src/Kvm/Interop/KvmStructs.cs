using System.Runtime.InteropServices;

namespace Tern.Kvm.Interop;

// Blittable mirrors of linux/kvm.h (x86_64). Field names follow the header; sizes are checked by
// KvmStructSizeTests against the values the kernel header gives.

[StructLayout(LayoutKind.Sequential)]
public struct kvm_regs
{
    public ulong rax, rbx, rcx, rdx, rsi, rdi, rsp, rbp;
    public ulong r8, r9, r10, r11, r12, r13, r14, r15;
    public ulong rip, rflags;
}

[StructLayout(LayoutKind.Sequential)]
public struct kvm_segment
{
    public ulong @base;
    public uint limit;
    public ushort selector;
    public byte type, present, dpl, db, s, l, g, avl, unusable, padding;
}

[StructLayout(LayoutKind.Sequential)]
public struct kvm_dtable
{
    public ulong @base;
    public ushort limit;
    public ushort padding0, padding1, padding2;
}

[StructLayout(LayoutKind.Sequential)]
public unsafe struct kvm_sregs
{
    public kvm_segment cs, ds, es, fs, gs, ss, tr, ldt;
    public kvm_dtable gdt, idt;
    public ulong cr0, cr2, cr3, cr4, cr8, efer, apic_base;
    public fixed ulong interrupt_bitmap[4];
}

[StructLayout(LayoutKind.Sequential)]
internal struct kvm_userspace_memory_region
{
    public uint slot, flags;
    public ulong guest_phys_addr, memory_size, userspace_addr;
}

[StructLayout(LayoutKind.Sequential)]
public struct kvm_cpuid_entry2
{
    public uint function, index, flags, eax, ebx, ecx, edx;
    public uint padding0, padding1, padding2;
}

[StructLayout(LayoutKind.Sequential)]
internal struct kvm_msr_entry
{
    public uint index, reserved;
    public ulong data;
}

[StructLayout(LayoutKind.Sequential)]
internal unsafe struct kvm_pit_config
{
    public uint flags;
    public fixed uint pad[15];
}

[StructLayout(LayoutKind.Sequential)]
internal struct kvm_irq_level
{
    public uint irq, level;
}

[StructLayout(LayoutKind.Sequential)]
internal unsafe struct kvm_msi
{
    public uint address_lo, address_hi, data, flags, devid;
    public fixed byte pad[12];
}

[StructLayout(LayoutKind.Sequential)]
internal unsafe struct kvm_ioeventfd
{
    public ulong datamatch, addr;
    public uint len;
    public int fd;
    public uint flags;
    public fixed byte pad[36];
}

[StructLayout(LayoutKind.Sequential)]
internal unsafe struct kvm_irqfd
{
    public uint fd, gsi, flags, resamplefd;
    public fixed byte pad[16];
}

[StructLayout(LayoutKind.Sequential)]
internal struct kvm_dirty_log
{
    public uint slot, padding;
    public nint dirty_bitmap;
}

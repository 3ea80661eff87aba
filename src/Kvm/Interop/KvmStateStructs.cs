using System.Runtime.InteropServices;

namespace Tern.Kvm.Interop;

// Blittable mirrors of the linux/kvm.h (x86_64) structs used to save and restore KVM state.
// Sizes are checked by KvmStructSizeTests.

/// <summary>Pending and injected exceptions, interrupts, NMI, SIPI and SMI of a vCPU (64 bytes).</summary>
[StructLayout(LayoutKind.Sequential)]
public unsafe struct kvm_vcpu_events
{
    public byte exception_injected, exception_nr, exception_has_error_code, exception_pending;
    public uint exception_error_code;
    public byte interrupt_injected, interrupt_nr, interrupt_soft, interrupt_shadow;
    public byte nmi_injected, nmi_pending, nmi_masked, nmi_pad;
    public uint sipi_vector;
    public uint flags;
    public byte smi_smm, smi_pending, smi_smm_inside_nmi, smi_latched_init;
    public byte triple_fault_pending;
    public fixed byte reserved[26];
    public byte exception_has_payload;
    public ulong exception_payload;
}

/// <summary>DR0-3, DR6, DR7 (128 bytes).</summary>
[StructLayout(LayoutKind.Sequential)]
public unsafe struct kvm_debugregs
{
    public fixed ulong db[4];
    public ulong dr6, dr7, flags;
    public fixed ulong reserved[9];
}

[StructLayout(LayoutKind.Sequential)]
internal struct kvm_xcr
{
    public uint xcr, reserved;
    public ulong value;
}

/// <summary>Up to 16 extended control registers (392 bytes).</summary>
[StructLayout(LayoutKind.Sequential)]
internal unsafe struct kvm_xcrs
{
    public const int Max = 16;
    public uint nr_xcrs, flags;
    public fixed byte xcrs[Max * 16]; // kvm_xcr[16]
    public fixed ulong padding[16];
}

/// <summary>kvmclock as KVM_GET_CLOCK reports it (48 bytes).</summary>
[StructLayout(LayoutKind.Sequential)]
public unsafe struct kvm_clock_data
{
    public ulong clock;
    public uint flags, pad0;
    public ulong realtime, host_tsc;
    public fixed uint pad[4];
}

/// <summary>One i8259 (16 bytes, inside kvm_irqchip's 512-byte union).</summary>
[StructLayout(LayoutKind.Sequential)]
public struct kvm_pic_state
{
    public byte last_irr, irr, imr, isr, priority_add, irq_base, read_reg_select, poll;
    public byte special_mask, init_state, auto_eoi, rotate_on_auto_eoi, special_fully_nested_mode, init4, elcr, elcr_mask;
}

/// <summary>The IOAPIC (216 bytes, inside kvm_irqchip's 512-byte union).</summary>
[StructLayout(LayoutKind.Sequential)]
public unsafe struct kvm_ioapic_state
{
    public const int Pins = 24;
    public ulong base_address;
    public uint ioregsel, id, irr, pad;
    public fixed ulong redirtbl[Pins];
}

/// <summary>KVM_GET/SET_IRQCHIP argument: a chip id and its state (520 bytes).</summary>
[StructLayout(LayoutKind.Sequential)]
internal unsafe struct kvm_irqchip
{
    public const int ChipSize = 512;
    public uint chip_id, pad;
    public fixed byte chip[ChipSize];
}

/// <summary>One i8254 counter (24 bytes).</summary>
[StructLayout(LayoutKind.Sequential)]
public struct kvm_pit_channel_state
{
    public uint count;
    public ushort latched_count;
    public byte count_latched, status_latched, status, read_state, write_state, write_latch, rw_mode, mode, bcd, gate;
    public long count_load_time;
}

/// <summary>The in-kernel PIT: three counters and flags (112 bytes).</summary>
[StructLayout(LayoutKind.Sequential)]
public unsafe struct kvm_pit_state2
{
    public kvm_pit_channel_state channel0, channel1, channel2;
    public uint flags;
    public fixed uint reserved[9];
}

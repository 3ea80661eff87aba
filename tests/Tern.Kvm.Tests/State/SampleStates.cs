using System.Runtime.InteropServices;
using Tern.Kvm.Arch;
using Tern.Kvm.Interop;
using Tern.Kvm.State;

namespace Tern.Kvm.Tests.State;

/// <summary>Valid states with distinctive values, built without KVM.</summary>
internal static class SampleStates
{
    public static VcpuState Vcpu(int xsaveLength = 4096)
    {
        var xsave = new byte[xsaveLength];
        new Random(1).NextBytes(xsave);
        var lapic = new byte[VcpuState.LapicSize];
        new Random(2).NextBytes(lapic);
        return new VcpuState
        {
            VcpuId = 3,
            Regs = new kvm_regs { rax = 1, rbx = 0x1234, rip = 0xffff_ffff_8100_0000, rflags = 0x202 },
            Sregs = new kvm_sregs { cr0 = 0x8005_0033, cr3 = 0x9000, cr4 = 0x20, efer = 0x500, apic_base = 0xfee0_0900 },
            Xsave = xsave,
            Xcrs = [(0, 7)],
            Msrs = [(SaveableMsrs.Tsc, 123_456_789), (0xc0000082, 0xffff_ffff_8100_0000), (SaveableMsrs.TscDeadline, 999_999_999)],
            Lapic = lapic,
            Events = new kvm_vcpu_events { nmi_pending = 1, flags = VcpuEventFlags.NmiPending | VcpuEventFlags.Shadow },
            MpState = 3,
            DebugRegs = new kvm_debugregs { dr6 = 0xffff0ff0, dr7 = 0x400 },
            TscKhz = 2_596_150,
        };
    }

    public static VmKvmState Vm()
    {
        var ioapic = new byte[VmKvmState.ChipSize];
        MemoryMarshal.AsRef<kvm_ioapic_state>(ioapic.AsSpan()).base_address = MemoryLayout.IoApicBase;
        var master = new byte[VmKvmState.ChipSize];
        master[2] = 0xfa; // imr
        return new VmKvmState
        {
            PicMaster = master,
            PicSlave = new byte[VmKvmState.ChipSize],
            Ioapic = ioapic,
            Pit = new kvm_pit_state2 { channel0 = new kvm_pit_channel_state { count = 0x1234, mode = 2, gate = 1 }, flags = 0 },
            Clock = new kvm_clock_data { clock = 5_000_000_000 },
        };
    }
}

using Tern.Kvm.Interop;
using Tern.Kvm.State;
using Xunit.Abstractions;

namespace Tern.Kvm.Tests.State;

public class VcpuStateRoundTripTests(ITestOutputHelper output)
{
    private const ulong CounterAddress = 0x200000;

    // loop: inc rbx; inc qword [0x200000]; jmp loop
    private static readonly byte[] CounterLoop =
    [
        0x48, 0xff, 0xc3,
        0x48, 0xff, 0x04, 0x25, 0x00, 0x00, 0x20, 0x00,
        0xeb, 0xf3,
    ];

    private const int XsaveXmm0 = 160; // legacy FXSAVE area: XMM0 at byte 160
    private const int XsaveHeaderXstateBv = 512;
    private const ulong GuestTscStart = 1UL << 56;       // far from any fresh VM's TSC, so continuity shows
    private const ulong DeadlineAhead = 1UL << 50;       // an armed LAPIC timer that never fires in the test
    private const uint LvtTimer = 0x320;
    private const uint LvtTimerTscDeadlineMasked = (2u << 17) | (1u << 16) | 0xec;

    /// <summary>MSRs a guest kernel sets, with values no reset vCPU has.</summary>
    private static readonly (uint Index, ulong Value)[] GuestMsrs =
    [
        (0xc0000081, 0x0023_0010_0000_0000), // STAR
        (0xc0000082, 0xffff_ffff_8100_0000), // LSTAR
        (0xc0000083, 0xffff_ffff_8100_0100), // CSTAR
        (0xc0000084, 0x4_7700),              // SFMASK
        (0xc0000102, 0xffff_8880_0000_1000), // KERNEL_GS_BASE
        (0xc0000103, 7),                     // TSC_AUX
        (0x174, 0x10), (0x175, 0x9000), (0x176, 0xffff_ffff_8100_0200), // SYSENTER
        (0x277, 0x0007_0106_0007_0106),      // PAT
        (0x2ff, 0xc06),                      // MTRR default: enabled, fixed enabled, write-back
        (0x250, 0x0606_0606_0606_0606),      // MTRR fix64K_00000
        (0x200, 0x6), (0x201, 0xf_f000_0800),// MTRR physbase0/mask0: 256 MiB write-back
        (0x4b564d01, 0x3000 | 1),            // kvmclock page at 0x3000, enabled
    ];

    [KvmFact]
    public void Guest_counter_continues_in_a_second_vm_after_save_and_restore()
    {
        using var source = StateTestVm.WithCode(CounterLoop);
        ArmGuestVisibleState(source.Vcpu);
        source.RunFor(TimeSpan.FromMilliseconds(300));

        var saved = VcpuState.Save(source.Vcpu);
        var vmSaved = VmKvmState.Save(source.Vm);
        ulong rbxAtSave = saved.Regs.rbx;
        ulong counterAtSave = source.Memory.ReadObj<ulong>(CounterAddress);
        Assert.True(rbxAtSave > 100, $"the guest barely ran ({rbxAtSave} iterations)");
        Assert.InRange(rbxAtSave - counterAtSave, 0UL, 1UL);

        using var destination = StateTestVm.CloneOf(source);
        var result = VcpuState.Restore(destination.Vcpu, saved);
        VmKvmState.Restore(destination.Vm, vmSaved);
        output.WriteLine($"TSC: {result}");
        Assert.Equal(TscFrequencyOutcome.Same, result.TscFrequency);
        Assert.True(result.GuestClockNotified, "the guest enabled kvmclock, so KVM_KVMCLOCK_CTRL should succeed");

        AssertSameState(saved, VcpuState.Save(destination.Vcpu));

        destination.RunFor(TimeSpan.FromMilliseconds(300));
        ulong rbxAfter = destination.Vcpu.GetRegs().rbx;
        ulong counterAfter = destination.Memory.ReadObj<ulong>(CounterAddress);
        Assert.True(rbxAfter > rbxAtSave, $"rbx went from {rbxAtSave} to {rbxAfter}");
        Assert.True(counterAfter > counterAtSave, $"the counter went from {counterAtSave} to {counterAfter}");
        Assert.InRange(rbxAfter - counterAfter, 0UL, 1UL);
    }

    [KvmFact]
    public void Pending_events_and_mp_state_of_an_application_processor_survive_a_restore()
    {
        using var source = StateTestVm.Empty(vcpus: 2);
        var ap = source.Vcpus[1];
        ap.SetMpState(3); // HALTED
        var events = ap.GetVcpuEvents();
        events.nmi_pending = 1;
        events.nmi_masked = 1;
        events.interrupt_shadow = 1;
        events.flags = VcpuEventFlags.NmiPending | VcpuEventFlags.Shadow;
        ap.SetVcpuEvents(events);
        var saved = VcpuState.Save(ap);

        using var destination = StateTestVm.CloneOf(source);
        Assert.Equal(1u, destination.Vcpus[1].GetMpState()); // a fresh AP waits for INIT/SIPI
        VcpuState.Restore(destination.Vcpus[1], saved);

        var restored = destination.Vcpus[1].GetVcpuEvents();
        Assert.Equal(3u, destination.Vcpus[1].GetMpState());
        Assert.Equal(1, restored.nmi_pending);
        Assert.Equal(1, restored.nmi_masked);
        Assert.Equal(1, restored.interrupt_shadow);
    }

    [KvmFact]
    public void A_different_tsc_frequency_is_scaled_where_kvm_can_and_reported_where_it_cannot()
    {
        using var source = StateTestVm.Empty();
        var saved = VcpuState.Save(source.Vcpu);
        Assert.True(saved.TscKhz > 0);
        using var destination = StateTestVm.CloneOf(source);
        bool canScale = destination.Vm.CheckExtension(KvmCap.TscControl) > 0;

        var result = VcpuState.Restore(destination.Vcpu, saved with { TscKhz = saved.TscKhz / 100 * 101 });

        output.WriteLine($"KVM_CAP_TSC_CONTROL={canScale}: {result}");
        Assert.Equal(canScale ? TscFrequencyOutcome.Scaled : TscFrequencyOutcome.Mismatch, result.TscFrequency);
        Assert.Equal(canScale ? saved.TscKhz / 100 * 101 : saved.TscKhz, destination.Vcpu.GetTscKhz());
    }

    [KvmFact]
    public void Restore_into_a_vcpu_with_another_id_is_refused_before_touching_it()
    {
        using var source = StateTestVm.Empty(vcpus: 2);
        var saved = VcpuState.Save(source.Vcpus[0]);
        var before = source.Vcpus[1].GetRegs();
        var e = Assert.Throws<KvmStateException>(() => VcpuState.Restore(source.Vcpus[1], saved));
        Assert.Equal("VcpuId", e.Field);
        Assert.Equal(before, source.Vcpus[1].GetRegs());
    }

    /// <summary>State a guest kernel would have set up: MSRs, a distinctive TSC, an armed TSC-deadline timer, XMM0.</summary>
    private static void ArmGuestVisibleState(Vcpu vcpu)
    {
        // The guest cannot set XMM0 itself: kvm_pvm does not emulate SSE moves in ring 0.
        var xsave = new byte[Math.Max(Vcpu.XsaveLegacySize, vcpu.Vm.CheckExtension(KvmCap.Xsave2))];
        vcpu.GetXsave2(xsave);
        BitConverter.TryWriteBytes(xsave.AsSpan(XsaveXmm0), 0x1122_3344_5566_7788UL);
        xsave[XsaveHeaderXstateBv] |= 2; // SSE state present, or KVM loads its initial (zero) value
        vcpu.SetXsave(xsave);

        Assert.Equal(GuestMsrs.Length, vcpu.SetMsrs(GuestMsrs));
        vcpu.SetMsrs([(SaveableMsrs.Tsc, GuestTscStart)]);
        Span<(uint Index, ulong Value)> tsc = [(SaveableMsrs.Tsc, 0)];
        Assert.Equal(1, vcpu.GetMsrs(tsc));
        // kvm_pvm reads the host TSC whatever was written (ring 3 runs RDTSC natively), yet keeps the
        // written offset for the deadline timer; write back what it reads to keep the two consistent.
        if (tsc[0].Value < GuestTscStart) vcpu.SetMsrs([(SaveableMsrs.Tsc, tsc[0].Value)]);
        var lapic = vcpu.GetLapic();
        BitConverter.TryWriteBytes(lapic.AsSpan((int)LvtTimer), LvtTimerTscDeadlineMasked);
        vcpu.SetLapic(lapic);
        Assert.Equal(1, vcpu.SetMsrs([(SaveableMsrs.TscDeadline, tsc[0].Value + DeadlineAhead)]));
    }

    private static void AssertSameState(VcpuState expected, VcpuState actual)
    {
        Assert.Equal(expected.Regs, actual.Regs);
        Assert.True(StateBytes.Same(expected.Sregs, actual.Sregs), "sregs differ");
        Assert.Equal(expected.Xcrs, actual.Xcrs);
        Assert.Equal(expected.Xsave, actual.Xsave);
        Assert.Equal(0x1122_3344_5566_7788UL, BitConverter.ToUInt64(actual.Xsave.AsSpan(XsaveXmm0)));
        Assert.Equal(expected.Fpu, actual.Fpu);
        Assert.Equal(expected.MpState, actual.MpState);
        Assert.True(StateBytes.Same(expected.Events, actual.Events), "vCPU events differ");
        Assert.True(StateBytes.Same(expected.DebugRegs, actual.DebugRegs), "debug registers differ");
        Assert.Equal(expected.Lapic, actual.Lapic);

        Assert.Equal(expected.Msrs.Select(m => m.Index), actual.Msrs.Select(m => m.Index));
        foreach (var (index, value) in expected.Msrs)
        {
            ulong restored = actual.Msr(index)!.Value;
            if (index == SaveableMsrs.Tsc)
                Assert.InRange(restored, value, value + (ulong)expected.TscKhz * 1000 * 5); // continues, within 5 s
            else
                Assert.True(value == restored, $"MSR 0x{index:x}: saved 0x{value:x}, restored 0x{restored:x}");
        }
        Assert.True(expected.Msr(SaveableMsrs.TscDeadline) > expected.Msr(SaveableMsrs.Tsc), "the armed deadline was not saved");
        foreach (var (index, value) in GuestMsrs) Assert.Equal(value, actual.Msr(index));
    }
}

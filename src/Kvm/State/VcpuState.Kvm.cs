using Tern.Kvm.Interop;

namespace Tern.Kvm.State;

public sealed partial record VcpuState
{
    private const int MsrsPerCall = 200; // KVM_GET/SET_MSRS take fewer than 256 (KVM_MAX_MSR_ENTRIES) at once

    /// <summary>
    /// Reads the vCPU's state. The vCPU must be stopped (out of KVM_RUN, its thread parked) and so
    /// should every other vCPU of the VM: KVM_GET_VCPU_EVENTS is not safe while they run.
    /// </summary>
    public static VcpuState Save(Vcpu vcpu)
    {
        var vm = vcpu.Vm;
        // MP state first: KVM_GET_MP_STATE accepts pending INIT/SIPI, which changes registers and LAPIC.
        uint mpState = vcpu.GetMpState();
        var regs = vcpu.GetRegs();
        var sregs = vcpu.GetSregs();
        bool hasXsave = vm.CheckExtension(KvmCap.Xsave) > 0;
        var xsave = hasXsave ? ReadXsave(vcpu) : null;
        var fpu = hasXsave ? null : ReadFpu(vcpu);
        var xcrs = vm.CheckExtension(KvmCap.Xcrs) > 0 ? vcpu.GetXcrs() : [];
        var debugRegs = vcpu.GetDebugRegs();
        var lapic = vcpu.GetLapic();
        uint tscKhz = vm.CheckExtension(KvmCap.GetTscKhz) > 0 ? vcpu.GetTscKhz() : 0;
        var msrs = ReadMsrs(vcpu, SaveableMsrs.Candidates(vm.Kvm.GetMsrIndexList()));
        // Events last: the GET ioctls above may move state into or out of the pending events.
        var events = vcpu.GetVcpuEvents();

        var state = new VcpuState
        {
            VcpuId = vcpu.Id, Regs = regs, Sregs = sregs, Xsave = xsave, Fpu = fpu, Xcrs = xcrs, Msrs = msrs,
            Lapic = lapic, Events = events, MpState = mpState, DebugRegs = debugRegs, TscKhz = tscKhz,
        };
        state.Validate();
        return state;
    }

    private static byte[] ReadXsave(Vcpu vcpu)
    {
        int size = vcpu.Vm.CheckExtension(KvmCap.Xsave2);
        if (size <= 0)
        {
            var legacy = new byte[Vcpu.XsaveLegacySize];
            vcpu.GetXsave(legacy);
            return legacy;
        }
        var xsave = new byte[Math.Max(size, Vcpu.XsaveLegacySize)];
        vcpu.GetXsave2(xsave);
        return xsave;
    }

    private static byte[] ReadFpu(Vcpu vcpu)
    {
        var fpu = new byte[Vcpu.FpuStateSize];
        vcpu.GetFpu(fpu);
        return fpu;
    }

    /// <summary>Reads the candidates; one KVM refuses (a feature this vCPU's CPUID lacks) is skipped.</summary>
    private static (uint Index, ulong Value)[] ReadMsrs(Vcpu vcpu, uint[] candidates)
    {
        var entries = candidates.Select(i => (Index: i, Value: 0UL)).ToArray();
        var kept = new List<(uint, ulong)>(entries.Length);
        int next = 0;
        while (next < entries.Length)
        {
            var chunk = entries.AsSpan(next, Math.Min(MsrsPerCall, entries.Length - next));
            int read = vcpu.GetMsrs(chunk);
            for (int i = 0; i < read; i++) kept.Add(chunk[i]);
            next += read < chunk.Length ? read + 1 : read; // KVM stopped at entry `read`: skip it
        }
        return kept.ToArray();
    }

    /// <summary>
    /// Puts the state into a freshly created vCPU of the destination VM, whose CPUID the machine has
    /// already set (KVM checks XCR0, XSAVE and many MSRs against it). Validates everything first, so a
    /// bad state fails before the vCPU is touched. The order is what KVM requires, learnt from QEMU's
    /// kvm_arch_put_registers and Firecracker's restore_state (the reason for each step in brackets):
    /// TSC frequency (before any TSC value) -> sregs (APIC base, EFER) -> regs -> XSAVE/FPU -> XCRs
    /// -> LAPIC (after the APIC base, before TSC_DEADLINE) -> MSRs, TSC first -> TSC_DEADLINE
    /// -> MP state (after sregs, which may reset it) -> events (after regs, which clear pending
    /// exceptions) -> debug registers -> KVM_KVMCLOCK_CTRL.
    /// The guest's TSC continues from the saved value and its kvmclock from <see cref="VmKvmState"/>'s,
    /// so the guest does not see the migration's downtime on its monotonic clocks.
    /// </summary>
    public static VcpuRestoreResult Restore(Vcpu vcpu, VcpuState state)
    {
        state.Validate();
        if (state.VcpuId != vcpu.Id) throw new KvmStateException(nameof(VcpuId), $"state of vCPU {state.VcpuId} given to vCPU {vcpu.Id}");
        var vm = vcpu.Vm;
        byte[]? xsave = state.Xsave is null ? null : FitXsave(state.Xsave, vm);
        if (xsave is not null && vm.CheckExtension(KvmCap.Xsave) <= 0) throw new KvmStateException(nameof(Xsave), "this host has no XSAVE");
        if (state.Xcrs.Length > 0 && vm.CheckExtension(KvmCap.Xcrs) <= 0) throw new KvmStateException(nameof(Xcrs), "this host has no XCRs");
        var msrs = SaveableMsrs.SortForRestore(state.Msrs);
        int deadlineAt = Array.FindIndex(msrs, m => m.Index == SaveableMsrs.TscDeadline);
        int early = deadlineAt < 0 ? msrs.Length : deadlineAt;

        var tsc = RestoreTscFrequency(vcpu, state.TscKhz);
        vcpu.SetSregs(state.Sregs);
        vcpu.SetRegs(state.Regs);
        if (xsave is not null) vcpu.SetXsave(xsave);
        else vcpu.SetFpu(state.Fpu);
        if (state.Xcrs.Length > 0) vcpu.SetXcrs(state.Xcrs);
        vcpu.SetLapic(state.Lapic);
        SetMsrs(vcpu, msrs.AsSpan(0, early));
        SetMsrs(vcpu, msrs.AsSpan(early));
        vcpu.SetMpState(state.MpState);
        vcpu.SetVcpuEvents(EventsToRestore(state.Events, state.MpState));
        vcpu.SetDebugRegs(state.DebugRegs);
        bool clockNotified = vcpu.TryMarkClockPaused();
        return tsc with { GuestClockNotified = clockNotified };
    }

    /// <summary>
    /// XSAVE from another host may be shorter (an older kernel's 4096 bytes: zero-extended, the
    /// header says which components are present) or longer with only zeros beyond this VM's size.
    /// </summary>
    private static byte[] FitXsave(byte[] xsave, Vm vm)
    {
        int size = Math.Max(Vcpu.XsaveLegacySize, vm.CheckExtension(KvmCap.Xsave2));
        if (xsave.Length == size) return xsave;
        if (xsave.Length > size && xsave.AsSpan(size).ContainsAnyExcept((byte)0))
            throw new KvmStateException(nameof(Xsave), $"{xsave.Length} bytes of XSAVE state do not fit this host's {size}");
        var fitted = new byte[size];
        xsave.AsSpan(0, Math.Min(size, xsave.Length)).CopyTo(fitted);
        return fitted;
    }

    /// <summary>
    /// Sets the MSRs in order. One KVM refuses is fine only if this vCPU already holds the saved value
    /// (kvm_pvm, for one, reads IA32_XSS as 0 but refuses to have 0 written); otherwise the guest
    /// would lose state, and the restore fails naming the MSR.
    /// </summary>
    private static void SetMsrs(Vcpu vcpu, ReadOnlySpan<(uint Index, ulong Value)> msrs)
    {
        while (!msrs.IsEmpty)
        {
            var chunk = msrs[..Math.Min(MsrsPerCall, msrs.Length)];
            int set = vcpu.SetMsrs(chunk);
            if (set == chunk.Length)
            {
                msrs = msrs[chunk.Length..];
                continue;
            }
            var refused = chunk[set];
            Span<(uint Index, ulong Value)> current = [(refused.Index, 0)];
            if (vcpu.GetMsrs(current) != 1 || current[0].Value != refused.Value)
                throw new KvmStateException($"Msrs[0x{refused.Index:x}]", $"KVM refused the value 0x{refused.Value:x}");
            msrs = msrs[(set + 1)..];
        }
    }

    /// <summary>
    /// KVM_GET_VCPU_EVENTS does not set every VALID flag for what it reports (older kernels leave out
    /// the NMI state), and KVM_SET_VCPU_EVENTS ignores a field whose flag is clear. The SIPI vector
    /// is never reported (KVM_GET_MP_STATE, taken first, has already delivered a pending SIPI), so it
    /// is marked valid only for a vCPU saved in SIPI_RECEIVED, as QEMU does. Payload and triple-fault
    /// state stay valid only if the source had them, because KVM accepts them only where the VMM
    /// enabled KVM_CAP_EXCEPTION_PAYLOAD / KVM_CAP_X86_TRIPLE_FAULT_EVENT (Tern enables neither).
    /// </summary>
    private static kvm_vcpu_events EventsToRestore(kvm_vcpu_events events, uint mpState)
    {
        events.flags = (events.flags & (VcpuEventFlags.Smm | VcpuEventFlags.Payload | VcpuEventFlags.TripleFault))
                       | VcpuEventFlags.NmiPending | VcpuEventFlags.Shadow
                       | (mpState == MpStateSipiReceived ? VcpuEventFlags.SipiVector : 0);
        return events;
    }

    private const uint MpStateSipiReceived = 4;

    // QEMU and Firecracker treat frequencies within 250 ppm as equal (boot-time calibration jitter).
    private const long TscTolerancePpm = 250;

    private static VcpuRestoreResult RestoreTscFrequency(Vcpu vcpu, uint wantedKhz)
    {
        var vm = vcpu.Vm;
        uint hereKhz = vm.CheckExtension(KvmCap.GetTscKhz) > 0 ? vcpu.GetTscKhz() : 0;
        var result = new VcpuRestoreResult(TscFrequencyOutcome.Unknown, wantedKhz, hereKhz, false);
        if (wantedKhz == 0 || hereKhz == 0) return result;
        if (Math.Abs((long)hereKhz - wantedKhz) * 1_000_000 <= wantedKhz * TscTolerancePpm)
            return result with { TscFrequency = TscFrequencyOutcome.Same };
        if (vm.CheckExtension(KvmCap.TscControl) <= 0) return result with { TscFrequency = TscFrequencyOutcome.Mismatch };
        try
        {
            vcpu.SetTscKhz(wantedKhz);
            return result with { TscFrequency = TscFrequencyOutcome.Scaled, DestinationKhz = wantedKhz };
        }
        catch (KvmException)
        {
            // Like QEMU: a frequency KVM cannot scale to should not abort the migration; the caller decides.
            return result with { TscFrequency = TscFrequencyOutcome.Mismatch };
        }
    }
}

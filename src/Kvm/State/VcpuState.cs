using System.Diagnostics.CodeAnalysis;
using System.Numerics;
using Tern.Kvm.Interop;

namespace Tern.Kvm.State;

/// <summary>
/// Everything KVM holds for one vCPU that its guest can notice: registers, FPU/XSAVE, XCRs, MSRs,
/// LAPIC, pending events, MP state, debug registers and TSC frequency. CPUID is not part of it:
/// the destination machine sets the same CPUID from the same configuration before restoring.
/// Kernel structs that need no interpretation are kept as exact-size byte blobs.
/// Saved and restored by <see cref="Save"/> / <see cref="Restore"/>, encoded by <see cref="Write"/> /
/// <see cref="Read"/>; every input is validated by <see cref="Validate"/>.
/// </summary>
public sealed partial record VcpuState
{
    public const int CurrentVersion = 1;
    public const int LapicSize = 1024;
    public const int MaxXsaveSize = 64 * 1024; // AMX needs about 11 KiB; anything near this is garbage
    public const int MaxVcpuId = 4095;

    // x86 KVM_MP_STATE_* values a vCPU can be in (RUNNABLE, UNINITIALIZED, INIT_RECEIVED, HALTED, SIPI_RECEIVED).
    public const uint MaxMpState = 4;

    public int Version { get; init; } = CurrentVersion;
    public required int VcpuId { get; init; }
    public required kvm_regs Regs { get; init; }
    public required kvm_sregs Sregs { get; init; }

    /// <summary>kvm_xsave as KVM_GET_XSAVE(2) gave it (4096 bytes or more); null on a host without XSAVE.</summary>
    public byte[]? Xsave { get; init; }

    /// <summary>kvm_fpu (416 bytes), only where the host has no XSAVE.</summary>
    public byte[]? Fpu { get; init; }

    public required (uint Index, ulong Value)[] Xcrs { get; init; }

    /// <summary>The saved MSRs in restore order (see <see cref="SaveableMsrs"/>).</summary>
    public required (uint Index, ulong Value)[] Msrs { get; init; }

    /// <summary>kvm_lapic_state: the 1 KiB LAPIC register page.</summary>
    public required byte[] Lapic { get; init; }

    public required kvm_vcpu_events Events { get; init; }
    public required uint MpState { get; init; }
    public required kvm_debugregs DebugRegs { get; init; }

    /// <summary>The guest TSC frequency in kHz; 0 when the source could not tell.</summary>
    public uint TscKhz { get; init; }

    /// <summary>The value of an MSR in this state, if it was saved.</summary>
    public ulong? Msr(uint index)
    {
        foreach (var m in Msrs)
            if (m.Index == index) return m.Value;
        return null;
    }

    /// <summary>Throws <see cref="KvmStateException"/> naming the first field that is malformed or out of range.</summary>
    public void Validate()
    {
        if (Version != CurrentVersion) Fail(nameof(Version), $"{Version} is not supported (expected {CurrentVersion})");
        if (VcpuId < 0 || VcpuId > MaxVcpuId) Fail(nameof(VcpuId), $"{VcpuId} is out of range");
        ValidateSregs();
        ValidateFpu();
        ValidateXcrs();
        ValidateMsrs();
        if (Lapic is null || Lapic.Length != LapicSize) Fail(nameof(Lapic), $"must be {LapicSize} bytes, not {Lapic?.Length}");
        ValidateEvents(Events);
        if (MpState > MaxMpState) Fail(nameof(MpState), $"{MpState} is not an x86 MP state");
        ValidateDebugRegs(DebugRegs);
        if (TscKhz > 100_000_000) Fail(nameof(TscKhz), $"{TscKhz} kHz is not a TSC frequency");
    }

    private unsafe void ValidateSregs()
    {
        var sregs = Sregs;
        int pending = 0;
        for (int i = 0; i < 4; i++) pending += BitOperations.PopCount(sregs.interrupt_bitmap[i]);
        if (pending > 1) Fail("Sregs.interrupt_bitmap", $"{pending} interrupts pending; KVM keeps at most one");
        if (sregs.cr8 > 0xf) Fail("Sregs.cr8", $"0x{sregs.cr8:x} is not a task priority");
    }

    private void ValidateFpu()
    {
        if ((Xsave is null) == (Fpu is null)) Fail(nameof(Xsave), "exactly one of Xsave and Fpu must be present");
        if (Xsave is not null && (Xsave.Length < Vcpu.XsaveLegacySize || Xsave.Length > MaxXsaveSize))
            Fail(nameof(Xsave), $"length {Xsave.Length} is outside [{Vcpu.XsaveLegacySize}, {MaxXsaveSize}]");
        if (Fpu is not null && Fpu.Length != Vcpu.FpuStateSize) Fail(nameof(Fpu), $"must be {Vcpu.FpuStateSize} bytes, not {Fpu.Length}");
    }

    private void ValidateXcrs()
    {
        if (Xcrs is null || Xcrs.Length > 16) Fail(nameof(Xcrs), $"{Xcrs?.Length} XCRs (at most 16)");
        foreach (var (index, value) in Xcrs)
            if (index == 0 && (value & 1) == 0) Fail("Xcrs[XCR0]", $"0x{value:x} lacks x87, which XCR0 always has");
    }

    private void ValidateMsrs()
    {
        if (Msrs is null || Msrs.Length > SaveableMsrs.MaxCount) Fail(nameof(Msrs), $"{Msrs?.Length} MSRs (at most {SaveableMsrs.MaxCount})");
        var seen = new HashSet<uint>();
        foreach (var (index, _) in Msrs)
        {
            if (SaveableMsrs.IsExcluded(index)) Fail($"Msrs[0x{index:x}]", "is not saved vCPU state");
            if (!seen.Add(index)) Fail($"Msrs[0x{index:x}]", "appears twice");
        }
    }

    private const uint KnownEventFlags = VcpuEventFlags.NmiPending | VcpuEventFlags.SipiVector | VcpuEventFlags.Shadow
        | VcpuEventFlags.Smm | VcpuEventFlags.Payload | VcpuEventFlags.TripleFault;

    private static void ValidateEvents(in kvm_vcpu_events e)
    {
        const string f = nameof(Events);
        if ((e.flags & ~KnownEventFlags) != 0) Fail($"{f}.flags", $"unknown bits 0x{e.flags & ~KnownEventFlags:x}");
        RequireBool(e.exception_injected, $"{f}.exception.injected");
        RequireBool(e.exception_pending, $"{f}.exception.pending");
        RequireBool(e.exception_has_error_code, $"{f}.exception.has_error_code");
        RequireBool(e.exception_has_payload, $"{f}.exception_has_payload");
        // KVM refuses vector 2 (NMI travels in nmi.*) and anything above 31 as an exception.
        if ((e.exception_injected != 0 || e.exception_pending != 0) && (e.exception_nr > 31 || e.exception_nr == 2))
            Fail($"{f}.exception.nr", $"{e.exception_nr} is not an exception vector");
        RequireBool(e.interrupt_injected, $"{f}.interrupt.injected");
        RequireBool(e.interrupt_soft, $"{f}.interrupt.soft");
        if (e.interrupt_shadow > 3) Fail($"{f}.interrupt.shadow", $"{e.interrupt_shadow} (STI and MOV SS bits only)");
        RequireBool(e.nmi_injected, $"{f}.nmi.injected");
        if (e.nmi_pending > 2) Fail($"{f}.nmi.pending", $"{e.nmi_pending} (KVM latches at most two NMIs)");
        RequireBool(e.nmi_masked, $"{f}.nmi.masked");
        if (e.sipi_vector > 0xff) Fail($"{f}.sipi_vector", $"0x{e.sipi_vector:x} is not a vector");
        RequireBool(e.smi_smm, $"{f}.smi.smm");
        RequireBool(e.smi_pending, $"{f}.smi.pending");
        RequireBool(e.smi_smm_inside_nmi, $"{f}.smi.smm_inside_nmi");
        RequireBool(e.smi_latched_init, $"{f}.smi.latched_init");
        RequireBool(e.triple_fault_pending, $"{f}.triple_fault.pending");
    }

    private static void ValidateDebugRegs(in kvm_debugregs d)
    {
        // KVM rejects flags and the reserved upper halves of DR6/DR7.
        if (d.flags != 0) Fail($"{nameof(DebugRegs)}.flags", $"0x{d.flags:x} (must be 0)");
        if (d.dr6 >> 32 != 0) Fail($"{nameof(DebugRegs)}.dr6", $"0x{d.dr6:x} sets reserved bits 63:32");
        if (d.dr7 >> 32 != 0) Fail($"{nameof(DebugRegs)}.dr7", $"0x{d.dr7:x} sets reserved bits 63:32");
    }

    private static void RequireBool(byte value, string field)
    {
        if (value > 1) Fail(field, $"{value} (must be 0 or 1)");
    }

    [DoesNotReturn]
    private static void Fail(string field, string problem) => throw new KvmStateException(field, problem);

    public bool Equals(VcpuState? other) =>
        other is not null && Version == other.Version && VcpuId == other.VcpuId
        && StateEncoding.SameStruct(Regs, other.Regs) && StateEncoding.SameStruct(Sregs, other.Sregs)
        && StateEncoding.SameBytes(Xsave, other.Xsave) && StateEncoding.SameBytes(Fpu, other.Fpu)
        && Xcrs.AsSpan().SequenceEqual(other.Xcrs) && Msrs.AsSpan().SequenceEqual(other.Msrs)
        && StateEncoding.SameBytes(Lapic, other.Lapic) && StateEncoding.SameStruct(Events, other.Events)
        && MpState == other.MpState && StateEncoding.SameStruct(DebugRegs, other.DebugRegs) && TscKhz == other.TscKhz;

    public override int GetHashCode() => HashCode.Combine(VcpuId, Regs.rip, Msrs.Length, TscKhz);
}

/// <summary>KVM_VCPUEVENT_VALID_* flags of kvm_vcpu_events.</summary>
public static class VcpuEventFlags
{
    public const uint NmiPending = 0x01;
    public const uint SipiVector = 0x02;
    public const uint Shadow = 0x04;
    public const uint Smm = 0x08;
    public const uint Payload = 0x10;
    public const uint TripleFault = 0x20;
}

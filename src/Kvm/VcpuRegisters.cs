using Tern.Kvm.Interop;

namespace Tern.Kvm;

/// <summary>Register, CPUID, MSR and LAPIC access for a vCPU.</summary>
public sealed unsafe partial class Vcpu
{
    public kvm_regs GetRegs()
    {
        kvm_regs regs;
        // SAFETY: the kernel fills the local.
        _handle.Ioctl(KvmIoctls.KVM_GET_REGS, &regs, "KVM_GET_REGS");
        return regs;
    }

    public void SetRegs(in kvm_regs regs)
    {
        fixed (kvm_regs* p = &regs)
            // SAFETY: the kernel reads the pinned value.
            _handle.Ioctl(KvmIoctls.KVM_SET_REGS, p, "KVM_SET_REGS");
    }

    public kvm_sregs GetSregs()
    {
        kvm_sregs sregs;
        // SAFETY: the kernel fills the local.
        _handle.Ioctl(KvmIoctls.KVM_GET_SREGS, &sregs, "KVM_GET_SREGS");
        return sregs;
    }

    public void SetSregs(in kvm_sregs sregs)
    {
        fixed (kvm_sregs* p = &sregs)
            // SAFETY: the kernel reads the pinned value.
            _handle.Ioctl(KvmIoctls.KVM_SET_SREGS, p, "KVM_SET_SREGS");
    }

    public void SetCpuid(ReadOnlySpan<kvm_cpuid_entry2> entries)
    {
        int bytes = 8 + entries.Length * sizeof(kvm_cpuid_entry2);
        byte* buffer = stackalloc byte[bytes];
        *(uint*)buffer = (uint)entries.Length;
        *(uint*)(buffer + 4) = 0;
        entries.CopyTo(new Span<kvm_cpuid_entry2>(buffer + 8, entries.Length));
        // SAFETY: buffer is a kvm_cpuid2 header followed by entries.Length entries.
        _handle.Ioctl(KvmIoctls.KVM_SET_CPUID2, buffer, "KVM_SET_CPUID2");
    }

    /// <summary>Sets MSRs; returns how many KVM accepted (it stops at the first it refuses).</summary>
    public int SetMsrs(ReadOnlySpan<(uint Index, ulong Value)> msrs)
    {
        int bytes = 8 + msrs.Length * sizeof(kvm_msr_entry);
        byte* buffer = stackalloc byte[bytes];
        *(uint*)buffer = (uint)msrs.Length;
        *(uint*)(buffer + 4) = 0;
        var entries = new Span<kvm_msr_entry>(buffer + 8, msrs.Length);
        for (int i = 0; i < msrs.Length; i++) entries[i] = new kvm_msr_entry { index = msrs[i].Index, data = msrs[i].Value };
        // SAFETY: buffer is a kvm_msrs header followed by msrs.Length entries.
        return _handle.Ioctl(KvmIoctls.KVM_SET_MSRS, buffer, "KVM_SET_MSRS");
    }

    /// <summary>Reads the in-kernel LAPIC's 1 KiB register page (kvm_lapic_state).</summary>
    public byte[] GetLapic()
    {
        var state = new byte[1024];
        fixed (byte* p = state)
            // SAFETY: the kernel writes 1024 bytes into the pinned array.
            _handle.Ioctl(KvmIoctls.KVM_GET_LAPIC, p, "KVM_GET_LAPIC");
        return state;
    }

    public void SetLapic(ReadOnlySpan<byte> state)
    {
        if (state.Length != 1024) throw new ArgumentException("kvm_lapic_state is 1024 bytes", nameof(state));
        fixed (byte* p = state)
            // SAFETY: the kernel reads 1024 bytes from the pinned span.
            _handle.Ioctl(KvmIoctls.KVM_SET_LAPIC, p, "KVM_SET_LAPIC");
    }
}

public sealed unsafe partial class Vcpu
{
    private const int FpuSize = 416;
    private const int FpuFcwOffset = 128;
    private const int FpuMxcsrOffset = 408;

    /// <summary>The x87/SSE state a CPU has after FNINIT and LDMXCSR 0x1f80 (what Linux expects at entry).</summary>
    public void SetDefaultFpu()
    {
        byte* fpu = stackalloc byte[FpuSize];
        new Span<byte>(fpu, FpuSize).Clear();
        *(ushort*)(fpu + FpuFcwOffset) = 0x37f;
        *(uint*)(fpu + FpuMxcsrOffset) = 0x1f80;
        // SAFETY: fpu is a zeroed kvm_fpu on this stack frame.
        _handle.Ioctl(KvmIoctls.KVM_SET_FPU, fpu, "KVM_SET_FPU");
    }
}

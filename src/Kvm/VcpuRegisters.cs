using Tern.Kvm.Interop;

namespace Tern.Kvm;

/// <summary>Register, CPUID, MSR and LAPIC access for a vCPU.</summary>
public sealed unsafe partial class Vcpu
{
    /// <summary>One KVM_GET_* ioctl that fills a fixed-size struct.</summary>
    private T GetStruct<T>(uint request, string name) where T : unmanaged
    {
        T value;
        // SAFETY: the kernel fills exactly sizeof(T) bytes of the local (the request code encodes that size).
        _handle.Ioctl(request, &value, name);
        return value;
    }

    /// <summary>One KVM_SET_* ioctl that reads a fixed-size struct.</summary>
    private void SetStruct<T>(uint request, in T value, string name) where T : unmanaged
    {
        fixed (T* p = &value)
            // SAFETY: the kernel reads sizeof(T) bytes from the pinned value.
            _handle.Ioctl(request, p, name);
    }

    public kvm_regs GetRegs() => GetStruct<kvm_regs>(KvmIoctls.KVM_GET_REGS, "KVM_GET_REGS");

    public void SetRegs(in kvm_regs regs) => SetStruct(KvmIoctls.KVM_SET_REGS, in regs, "KVM_SET_REGS");

    public kvm_sregs GetSregs() => GetStruct<kvm_sregs>(KvmIoctls.KVM_GET_SREGS, "KVM_GET_SREGS");

    public void SetSregs(in kvm_sregs sregs) => SetStruct(KvmIoctls.KVM_SET_SREGS, in sregs, "KVM_SET_SREGS");

    public void SetCpuid(ReadOnlySpan<kvm_cpuid_entry2> entries)
    {
        int bytes = 8 + entries.Length * sizeof(kvm_cpuid_entry2);
        byte* buffer = stackalloc byte[bytes];
        *(uint*)buffer = (uint)entries.Length;
        *(uint*)(buffer + 4) = 0;
        // A byte copy: a generic span copy over this struct would be JIT-compiled at every start.
        fixed (kvm_cpuid_entry2* source = entries)
            Buffer.MemoryCopy(source, buffer + 8, bytes - 8, bytes - 8);
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

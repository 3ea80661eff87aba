using Tern.Kvm.Interop;

namespace Tern.Kvm;

/// <summary>The vCPU state ioctls that saving and restoring a vCPU needs (call them only while the vCPU is stopped).</summary>
public sealed unsafe partial class Vcpu
{
    /// <summary>The size of kvm_fpu (legacy x87/SSE state, used only where XSAVE is absent).</summary>
    public const int FpuStateSize = 416;

    /// <summary>The size of the original kvm_xsave (KVM_GET_XSAVE); KVM_GET_XSAVE2 may need more.</summary>
    public const int XsaveLegacySize = 4096;

    /// <summary>The VM this vCPU belongs to.</summary>
    public Vm Vm { get; internal init; } = null!;

    /// <summary>
    /// Reads the MSRs whose indexes are in <paramref name="msrs"/>, filling in the values. Returns how
    /// many KVM read: it stops at the first MSR it refuses, so entries from the result on are untouched.
    /// </summary>
    public int GetMsrs(Span<(uint Index, ulong Value)> msrs)
    {
        if (msrs.IsEmpty) return 0;
        int bytes = 8 + msrs.Length * sizeof(kvm_msr_entry);
        var buffer = new byte[bytes];
        fixed (byte* p = buffer)
        {
            *(uint*)p = (uint)msrs.Length;
            var entries = new Span<kvm_msr_entry>(p + 8, msrs.Length);
            for (int i = 0; i < msrs.Length; i++) entries[i].index = msrs[i].Index;
            // SAFETY: p is a pinned kvm_msrs header followed by msrs.Length entries, which the kernel fills.
            int read = _handle.Ioctl(KvmIoctls.KVM_GET_MSRS, p, "KVM_GET_MSRS");
            for (int i = 0; i < read && i < msrs.Length; i++) msrs[i].Value = entries[i].data;
            return Math.Min(read, msrs.Length);
        }
    }

    /// <summary>KVM_GET_XSAVE2 into a buffer of the size KVM_CAP_XSAVE2 gave (at least 4096 bytes).</summary>
    public void GetXsave2(Span<byte> xsave)
    {
        if (xsave.Length < XsaveLegacySize) throw new ArgumentException("kvm_xsave is at least 4096 bytes", nameof(xsave));
        fixed (byte* p = xsave)
            // SAFETY: the kernel writes at most the KVM_CAP_XSAVE2 size, which the caller allocated.
            _handle.Ioctl(KvmIoctls.KVM_GET_XSAVE2, p, "KVM_GET_XSAVE2");
    }

    /// <summary>KVM_GET_XSAVE: the original 4096-byte kvm_xsave.</summary>
    public void GetXsave(Span<byte> xsave)
    {
        if (xsave.Length != XsaveLegacySize) throw new ArgumentException("kvm_xsave is 4096 bytes", nameof(xsave));
        fixed (byte* p = xsave)
            // SAFETY: the kernel writes 4096 bytes into the pinned span of that length.
            _handle.Ioctl(KvmIoctls.KVM_GET_XSAVE, p, "KVM_GET_XSAVE");
    }

    /// <summary>
    /// KVM_SET_XSAVE. The kernel reads as many bytes as KVM_CAP_XSAVE2 reports (4096 without it), so
    /// <paramref name="xsave"/> must be exactly that long.
    /// </summary>
    public void SetXsave(ReadOnlySpan<byte> xsave)
    {
        int expected = Math.Max(XsaveLegacySize, Vm.CheckExtension(KvmCap.Xsave2));
        if (xsave.Length != expected) throw new ArgumentException($"kvm_xsave is {expected} bytes on this VM", nameof(xsave));
        fixed (byte* p = xsave)
            // SAFETY: the kernel reads `expected` bytes, the length of the pinned span (checked).
            _handle.Ioctl(KvmIoctls.KVM_SET_XSAVE, p, "KVM_SET_XSAVE");
    }

    public void GetFpu(Span<byte> fpu)
    {
        if (fpu.Length != FpuStateSize) throw new ArgumentException("kvm_fpu is 416 bytes", nameof(fpu));
        fixed (byte* p = fpu)
            // SAFETY: the kernel writes 416 bytes into the pinned span of that length.
            _handle.Ioctl(KvmIoctls.KVM_GET_FPU, p, "KVM_GET_FPU");
    }

    public void SetFpu(ReadOnlySpan<byte> fpu)
    {
        if (fpu.Length != FpuStateSize) throw new ArgumentException("kvm_fpu is 416 bytes", nameof(fpu));
        fixed (byte* p = fpu)
            // SAFETY: the kernel reads 416 bytes from the pinned span of that length.
            _handle.Ioctl(KvmIoctls.KVM_SET_FPU, p, "KVM_SET_FPU");
    }

    /// <summary>The extended control registers (XCR0 ...) as index/value pairs.</summary>
    public (uint Index, ulong Value)[] GetXcrs()
    {
        kvm_xcrs xcrs;
        // SAFETY: the kernel fills the local.
        _handle.Ioctl(KvmIoctls.KVM_GET_XCRS, &xcrs, "KVM_GET_XCRS");
        int count = (int)Math.Min(xcrs.nr_xcrs, kvm_xcrs.Max);
        var result = new (uint, ulong)[count];
        var entries = new ReadOnlySpan<kvm_xcr>(xcrs.xcrs, kvm_xcrs.Max);
        for (int i = 0; i < count; i++) result[i] = (entries[i].xcr, entries[i].value);
        return result;
    }

    public void SetXcrs(ReadOnlySpan<(uint Index, ulong Value)> values)
    {
        if (values.Length > kvm_xcrs.Max) throw new ArgumentException("at most 16 XCRs", nameof(values));
        kvm_xcrs xcrs = default;
        xcrs.nr_xcrs = (uint)values.Length;
        var entries = new Span<kvm_xcr>(xcrs.xcrs, kvm_xcrs.Max);
        for (int i = 0; i < values.Length; i++) entries[i] = new kvm_xcr { xcr = values[i].Index, value = values[i].Value };
        // SAFETY: the kernel reads the local.
        _handle.Ioctl(KvmIoctls.KVM_SET_XCRS, &xcrs, "KVM_SET_XCRS");
    }

    public kvm_vcpu_events GetVcpuEvents() => GetStruct<kvm_vcpu_events>(KvmIoctls.KVM_GET_VCPU_EVENTS, "KVM_GET_VCPU_EVENTS");

    public void SetVcpuEvents(in kvm_vcpu_events events) => SetStruct(KvmIoctls.KVM_SET_VCPU_EVENTS, in events, "KVM_SET_VCPU_EVENTS");

    /// <summary>KVM_GET_MP_STATE (runnable, uninitialized, INIT/SIPI received, halted).</summary>
    public uint GetMpState()
    {
        uint state;
        // SAFETY: the kernel writes one u32 into the local.
        _handle.Ioctl(KvmIoctls.KVM_GET_MP_STATE, &state, "KVM_GET_MP_STATE");
        return state;
    }

    public void SetMpState(uint state)
    {
        // SAFETY: the kernel reads one u32 from the local.
        _handle.Ioctl(KvmIoctls.KVM_SET_MP_STATE, &state, "KVM_SET_MP_STATE");
    }

    public kvm_debugregs GetDebugRegs() => GetStruct<kvm_debugregs>(KvmIoctls.KVM_GET_DEBUGREGS, "KVM_GET_DEBUGREGS");

    public void SetDebugRegs(in kvm_debugregs regs) => SetStruct(KvmIoctls.KVM_SET_DEBUGREGS, in regs, "KVM_SET_DEBUGREGS");

    /// <summary>The guest TSC frequency in kHz (KVM_GET_TSC_KHZ).</summary>
    public uint GetTscKhz() => (uint)_handle.Ioctl(KvmIoctls.KVM_GET_TSC_KHZ, 0, "KVM_GET_TSC_KHZ");

    /// <summary>Sets the guest TSC frequency; needs KVM_CAP_TSC_CONTROL unless it equals the host's.</summary>
    public void SetTscKhz(uint khz) => _handle.Ioctl(KvmIoctls.KVM_SET_TSC_KHZ, (nint)khz, "KVM_SET_TSC_KHZ");

    /// <summary>
    /// KVM_KVMCLOCK_CTRL: tells the guest, through its kvmclock page, that it was stopped, so its
    /// soft-lockup watchdog does not fire. False when the guest has not enabled kvmclock (EINVAL).
    /// </summary>
    public bool TryMarkClockPaused() => _handle.TryIoctl(KvmIoctls.KVM_KVMCLOCK_CTRL, 0) == 0;
}

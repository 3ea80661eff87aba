using System.Runtime.InteropServices;
using Tern.Kvm.Interop;

namespace Tern.Kvm;

/// <summary>/dev/kvm: capability queries and VM creation. The root of the handle hierarchy.</summary>
public sealed class KvmSystem : IDisposable
{
    public const int ExpectedApiVersion = 12;
    public const string DevicePath = "/dev/kvm";
    private readonly KvmHandle _handle;

    public KvmSystem(string path = DevicePath)
    {
        int fd = Libc.Open(path, Libc.O_RDWR | Libc.O_CLOEXEC, 0);
        if (fd < 0) throw new KvmException(Marshal.GetLastPInvokeError(), $"open {path}");
        _handle = new KvmHandle(fd);
        int api = _handle.Ioctl(KvmIoctls.KVM_GET_API_VERSION, 0, "KVM_GET_API_VERSION");
        if (api != ExpectedApiVersion) throw new InvalidOperationException($"KVM API version {api}, expected {ExpectedApiVersion}");
        VcpuMmapSize = _handle.Ioctl(KvmIoctls.KVM_GET_VCPU_MMAP_SIZE, 0, "KVM_GET_VCPU_MMAP_SIZE");
    }

    /// <summary>True when /dev/kvm exists and can be opened (tests skip otherwise).</summary>
    public static bool IsAvailable()
    {
        int fd = Libc.Open(DevicePath, Libc.O_RDWR | Libc.O_CLOEXEC, 0);
        if (fd < 0) return false;
        Libc.Close(fd);
        return true;
    }

    internal int VcpuMmapSize { get; }

    /// <summary>KVM_CHECK_EXTENSION: 0 when absent, otherwise a capability-specific value.</summary>
    public int CheckExtension(KvmCap cap) => _handle.TryIoctl(KvmIoctls.KVM_CHECK_EXTENSION, (nint)cap);

    /// <summary>The CPUID leaves KVM can present to a guest on this host.</summary>
    public unsafe kvm_cpuid_entry2[] GetSupportedCpuid()
    {
        const int max = 256;
        int bytes = 8 + max * sizeof(kvm_cpuid_entry2);
        byte* buffer = stackalloc byte[bytes];
        new Span<byte>(buffer, bytes).Clear();
        *(uint*)buffer = max;
        // SAFETY: buffer holds a kvm_cpuid2 header followed by room for max entries.
        _handle.Ioctl(KvmIoctls.KVM_GET_SUPPORTED_CPUID, buffer, "KVM_GET_SUPPORTED_CPUID");
        uint count = Math.Min(*(uint*)buffer, max);
        var entries = new kvm_cpuid_entry2[count];
        // A byte copy: a generic span copy over this struct would be JIT-compiled at every start.
        fixed (kvm_cpuid_entry2* target = entries)
            Buffer.MemoryCopy(buffer + 8, target, count * (long)sizeof(kvm_cpuid_entry2), count * (long)sizeof(kvm_cpuid_entry2));
        return entries;
    }

    private uint[]? _msrIndexList;

    /// <summary>KVM_GET_MSR_INDEX_LIST: the MSRs KVM asks userspace to save and restore (read once, cached).</summary>
    public IReadOnlyList<uint> GetMsrIndexList() => _msrIndexList ??= ReadMsrIndexList();

    private unsafe uint[] ReadMsrIndexList()
    {
        const int max = 4096; // far above any kernel's list (a few hundred)
        var buffer = new uint[1 + max];
        buffer[0] = max;
        fixed (uint* p = buffer)
            // SAFETY: p is a kvm_msr_list header (nmsrs = max) followed by room for max indexes.
            _handle.Ioctl(KvmIoctls.KVM_GET_MSR_INDEX_LIST, p, "KVM_GET_MSR_INDEX_LIST");
        return buffer.AsSpan(1, (int)Math.Min(buffer[0], max)).ToArray();
    }

    public Vm CreateVm()
    {
        int fd = _handle.Ioctl(KvmIoctls.KVM_CREATE_VM, 0, "KVM_CREATE_VM");
        return new Vm(this, new KvmHandle(fd));
    }

    public void Dispose() => _handle.Dispose();
}

/// <summary>KVM_CAP_* numbers used by Tern.</summary>
public enum KvmCap
{
    Irqchip = 0,
    UserMemory = 3,
    SetTssAddr = 4,
    ExtCpuid = 7,
    Pit2 = 33,
    IoEventFd = 36,
    IrqFd = 32,
    AdjustClock = 39,
    VcpuEvents = 41,
    DebugRegs = 50,
    Xsave = 55,
    Xcrs = 56,
    TscControl = 60,
    GetTscKhz = 61,
    KvmclockCtrl = 76,
    SignalMsi = 77,
    ImmediateExit = 136,
    ManualDirtyLogProtect2 = 168,
    DirtyLogRing = 192,
    Xsave2 = 208,
}

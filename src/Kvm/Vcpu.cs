using System.Runtime.InteropServices;
using Tern.Kvm.Interop;

namespace Tern.Kvm;

/// <summary>
/// One vCPU fd and its shared kvm_run page. <see cref="Run"/> and the exit accessors are used by
/// the single thread that runs this vCPU; <see cref="Kick"/> may be called from any thread.
/// </summary>
public sealed unsafe partial class Vcpu : IDisposable
{
    private readonly KvmHandle _handle;
    private readonly int _runSize;
    private byte* _run;
    private volatile int _threadId;

    internal Vcpu(int id, KvmHandle handle, int runSize)
    {
        Id = id;
        _handle = handle;
        _runSize = runSize;
        nint p;
        using (var fd = handle.Borrow())
            p = Libc.MMap(0, (nuint)runSize, Libc.PROT_READ | Libc.PROT_WRITE, Libc.MAP_SHARED, fd.Number, 0);
        if (p == Libc.MAP_FAILED) throw new KvmException(Marshal.GetLastPInvokeError(), "mmap kvm_run");
        _run = (byte*)p;
    }

    public int Id { get; }

    /// <summary>The host thread id of the thread that last entered <see cref="Run"/> (0 before).</summary>
    public int ThreadId => _threadId;

    /// <summary>
    /// Enters the guest until the next exit. Returns <see cref="KvmExit.Intr"/> when a kick or
    /// another signal interrupted KVM_RUN (EINTR), with immediate_exit cleared again.
    /// </summary>
    public KvmExit Run()
    {
        if (_threadId == 0) _threadId = Libc.GetTid();
        int r = _handle.TryIoctl(KvmIoctls.KVM_RUN, 0);
        if (r < 0)
        {
            int errno = Marshal.GetLastPInvokeError();
            if (errno == Errno.EINTR || errno == Errno.EAGAIN)
            {
                _run[KvmRunLayout.ImmediateExit] = 0;
                return KvmExit.Intr;
            }
            throw new KvmException(errno, $"KVM_RUN on vCPU {Id}");
        }
        return (KvmExit)(*(uint*)(_run + KvmRunLayout.ExitReason));
    }

    /// <summary>Pulls the vCPU out of KVM_RUN soon: set immediate_exit, then signal its thread.</summary>
    public void Kick()
    {
        Volatile.Write(ref _run[KvmRunLayout.ImmediateExit], 1);
        int tid = _threadId;
        if (tid != 0) VcpuSignals.Kick(tid);
    }

    /// <summary>Cancels a pending kick that the vCPU never consumed.</summary>
    public void ClearKick() => Volatile.Write(ref _run[KvmRunLayout.ImmediateExit], 0);

    // ----- the exit that Run() returned -----

    public bool IoIsOut => _run[KvmRunLayout.IoDirection] == 1;
    public ushort IoPort => *(ushort*)(_run + KvmRunLayout.IoPort);
    public int IoSize => _run[KvmRunLayout.IoSize];
    public int IoCount => (int)*(uint*)(_run + KvmRunLayout.IoCount);

    /// <summary>The data of a port exit: count items of size bytes inside the kvm_run page.</summary>
    public Span<byte> IoData
    {
        get
        {
            ulong offset = *(ulong*)(_run + KvmRunLayout.IoDataOffset);
            long length = (long)IoSize * IoCount;
            // SAFETY: KVM places the data inside the mapped run area; checked against its size.
            if (offset + (ulong)length > (ulong)_runSize) return Span<byte>.Empty;
            return new Span<byte>(_run + offset, (int)length);
        }
    }

    public ulong MmioAddress => *(ulong*)(_run + KvmRunLayout.MmioPhysAddr);
    public bool MmioIsWrite => _run[KvmRunLayout.MmioIsWrite] != 0;

    /// <summary>The data of an MMIO exit (up to 8 bytes, inside the run page).</summary>
    public Span<byte> MmioData => new(_run + KvmRunLayout.MmioData, (int)Math.Min(8u, *(uint*)(_run + KvmRunLayout.MmioLen)));

    public uint InternalErrorSuberror => *(uint*)(_run + KvmRunLayout.InternalSuberror);
    public uint SystemEventType => *(uint*)(_run + KvmRunLayout.SystemEventType);
    public ulong FailEntryReason => *(ulong*)(_run + KvmRunLayout.FailEntryReason);

    public void Dispose()
    {
        if (_run != null) Libc.MUnmap((nint)_run, (nuint)_runSize);
        _run = null;
        _handle.Dispose();
    }
}

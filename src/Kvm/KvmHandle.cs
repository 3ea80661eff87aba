using System.Runtime.InteropServices;
using Microsoft.Win32.SafeHandles;
using Tern.Kvm.Interop;

namespace Tern.Kvm;

/// <summary>
/// An owned file descriptor for /dev/kvm, a VM, a vCPU or a host file. Only -1 is invalid: 0 is a
/// real descriptor when the process was started with stdin closed.
/// </summary>
internal sealed class KvmHandle : SafeHandleMinusOneIsInvalid
{
    public KvmHandle(int fd) : base(ownsHandle: true) => SetHandle(fd);

    public int Fd => (int)handle;

    protected override bool ReleaseHandle() => Libc.Close((int)handle) == 0;

    public int Ioctl(nuint request, nint arg, string name) => Errno.Check(TryIoctl(request, arg), name);

    public unsafe int Ioctl(nuint request, void* arg, string name) => Errno.Check(TryIoctl(request, arg), name);

    /// <summary>ioctl(2)'s own result; on failure the errno is in <see cref="Marshal.GetLastPInvokeError"/>.</summary>
    public int TryIoctl(nuint request, nint arg)
    {
        bool added = false;
        try
        {
            // A Dispose on another thread must not close the fd, and let the number be reused, mid-call.
            DangerousAddRef(ref added);
            return Libc.Ioctl((int)handle, request, arg);
        }
        finally
        {
            if (added) ReleaseKeepingErrno();
        }
    }

    /// <inheritdoc cref="TryIoctl(nuint, nint)"/>
    public unsafe int TryIoctl(nuint request, void* arg) => TryIoctl(request, (nint)arg);

    /// <summary>The last release closes the fd, and close must not overwrite the ioctl's errno.</summary>
    private void ReleaseKeepingErrno()
    {
        int errno = Marshal.GetLastPInvokeError();
        DangerousRelease();
        Marshal.SetLastPInvokeError(errno);
    }
}

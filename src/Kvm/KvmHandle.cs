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

    protected override bool ReleaseHandle() => Libc.Close((int)handle) == 0;

    /// <summary>
    /// The descriptor for one call, held open until the lease is disposed. Throws
    /// <see cref="ObjectDisposedException"/> once this handle is disposed, rather than hand out a
    /// number the kernel may since have given to another file.
    /// </summary>
    public FdLease Borrow() => new(this, AddRef());

    /// <summary>
    /// Holds the descriptor open and returns it; every call must be matched by one <see cref="Release"/>.
    /// For the few places (poll over many sources) that cannot keep an <see cref="FdLease"/> per fd.
    /// </summary>
    public int AddRef()
    {
        bool added = false;
        DangerousAddRef(ref added); // throws ObjectDisposedException once disposed; never returns with added false
        return (int)handle;
    }

    /// <summary>
    /// Ends an <see cref="AddRef"/>. After a Dispose the last release closes the fd, and close must
    /// not overwrite the errno of the call the caller made with it.
    /// </summary>
    public void Release()
    {
        int errno = Marshal.GetLastPInvokeError();
        DangerousRelease();
        Marshal.SetLastPInvokeError(errno);
    }

    public int Ioctl(nuint request, nint arg, string name) => Errno.Check(TryIoctl(request, arg), name);

    public unsafe int Ioctl(nuint request, void* arg, string name) => Errno.Check(TryIoctl(request, arg), name);

    /// <summary>ioctl(2)'s own result; on failure the errno is in <see cref="Marshal.GetLastPInvokeError"/>.</summary>
    public int TryIoctl(nuint request, nint arg)
    {
        using var fd = Borrow();
        return Libc.Ioctl(fd.Number, request, arg);
    }

    /// <inheritdoc cref="TryIoctl(nuint, nint)"/>
    public unsafe int TryIoctl(nuint request, void* arg) => TryIoctl(request, (nint)arg);
}

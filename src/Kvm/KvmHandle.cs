using Microsoft.Win32.SafeHandles;
using Tern.Kvm.Interop;

namespace Tern.Kvm;

/// <summary>An owned file descriptor for /dev/kvm, a VM or a vCPU.</summary>
internal sealed class KvmHandle : SafeHandleZeroOrMinusOneIsInvalid
{
    public KvmHandle(int fd) : base(ownsHandle: true) => SetHandle(fd);

    public int Fd => (int)handle;

    protected override bool ReleaseHandle() => Libc.Close((int)handle) == 0;

    public int Ioctl(uint request, nint arg, string name) => Errno.Check(Libc.Ioctl(Fd, request, arg), name);

    public unsafe int Ioctl(uint request, void* arg, string name) => Errno.Check(Libc.Ioctl(Fd, request, arg), name);
}

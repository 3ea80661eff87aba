using System.Runtime.InteropServices;

namespace Tern.Kvm.Interop;

/// <summary>Turns a failed libc call into a typed exception that names the call.</summary>
internal static class Errno
{
    public const int ENOENT = 2;
    public const int EIO = 5;
    public const int ENXIO = 6;
    public const int EINTR = 4;
    public const int EAGAIN = 11;
    public const int EACCES = 13;
    public const int ENOMEM = 12;
    public const int ENOTDIR = 20;
    public const int EINVAL = 22;

    public static int Check(int result, string call)
    {
        if (result < 0) throw new KvmException(Marshal.GetLastPInvokeError(), call);
        return result;
    }

    public static nint Check(nint result, string call)
    {
        if (result < 0) throw new KvmException(Marshal.GetLastPInvokeError(), call);
        return result;
    }
}

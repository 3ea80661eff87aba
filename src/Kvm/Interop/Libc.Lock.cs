using System.Runtime.InteropServices;

namespace Tern.Kvm.Interop;

internal static unsafe partial class Libc
{
    // Open file description locks (Linux 3.15+): owned by the open file, not the process.
    internal const int F_OFD_GETLK = 36;
    internal const int F_OFD_SETLK = 37;

    internal const short F_RDLCK = 0;
    internal const short F_WRLCK = 1;
    internal const short F_UNLCK = 2;

    internal const short SEEK_SET = 0;

    /// <summary>fcntl's third argument for the lock commands (a pointer is passed, so the variadic call is safe on x86_64).</summary>
    [LibraryImport("libc", EntryPoint = "fcntl", SetLastError = true)]
    internal static partial int FcntlLock(int fd, int cmd, flock* lk);
}

/// <summary>struct flock of asm-generic/fcntl.h on x86_64 (off_t is 64-bit).</summary>
#pragma warning disable CS8981 // the header's name, as the other C mirrors keep theirs
[StructLayout(LayoutKind.Sequential)]
internal struct flock
{
    public short l_type;
    public short l_whence;
    public long l_start;
    public long l_len;
    public int l_pid;
}
#pragma warning restore CS8981

using System.Runtime.InteropServices;
using Tern.Kvm.Interop;

namespace Tern.Kvm;

/// <summary>
/// Byte-range locks on the file as open file description (OFD) locks: they belong to this open
/// file, so a second open of the same file conflicts even in the same process, and they go when
/// the file is closed, however the process ends.
/// </summary>
public sealed partial class HostFile
{
    /// <summary>Takes a shared lock on [offset, offset+length); false when another open file holds an exclusive lock there.</summary>
    public bool LockShared(long offset, long length = 1)
    {
        var lk = Range(Libc.F_RDLCK, offset, length);
        if (SetLock(ref lk)) return true;
        int errno = Marshal.GetLastPInvokeError();
        if (errno is Errno.EAGAIN or Errno.EACCES) return false;
        throw new KvmException(errno, $"fcntl F_OFD_SETLK {Path}");
    }

    /// <summary>Drops this file's locks on [offset, offset+length).</summary>
    public void Unlock(long offset, long length)
    {
        var lk = Range(Libc.F_UNLCK, offset, length);
        if (!SetLock(ref lk)) throw new KvmException(Marshal.GetLastPInvokeError(), $"fcntl F_OFD_SETLK {Path}");
    }

    /// <summary>Whether another open file holds any lock on the byte at <paramref name="offset"/> (one an exclusive lock would meet).</summary>
    public unsafe bool IsLockedElsewhere(long offset)
    {
        var lk = Range(Libc.F_WRLCK, offset, 1);
        using var fd = _handle.Borrow();
        // SAFETY: lk lives on this stack frame for the whole call; the kernel writes only the struct.
        Errno.Check(Libc.FcntlLock(fd.Number, Libc.F_OFD_GETLK, &lk), $"fcntl F_OFD_GETLK {Path}");
        return lk.l_type != Libc.F_UNLCK;
    }

    /// <summary>The processes whose open files hold a lock on the byte at <paramref name="offset"/>, this file excepted.</summary>
    public IReadOnlyList<LockHolder> LockHolders(long offset)
    {
        // Held for the scan: it reads /proc/self/fdinfo/N, which must stay this file's.
        using var fd = _handle.Borrow();
        return LockHolder.Find(fd.Number, offset);
    }

    private unsafe bool SetLock(ref flock lk)
    {
        using var fd = _handle.Borrow();
        // SAFETY: lk is pinned by the fixed statement for the call; the kernel only reads it.
        fixed (flock* p = &lk)
            return Libc.FcntlLock(fd.Number, Libc.F_OFD_SETLK, p) == 0;
    }

    // OFD locks need l_pid = 0.
    private static flock Range(short type, long offset, long length) =>
        new() { l_type = type, l_whence = Libc.SEEK_SET, l_start = offset, l_len = length, l_pid = 0 };
}

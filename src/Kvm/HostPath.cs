using System.Runtime.InteropServices;
using Tern.Kvm.Interop;

namespace Tern.Kvm;

/// <summary>The type of a path on the host, as stat(2) reports it.</summary>
public enum HostFileKind { Missing, Regular, Directory, BlockDevice, CharacterDevice, Fifo, Socket, Other }

/// <summary>
/// Paths on the host as the kernel sees them: what a path resolves to, and what kind of file it
/// is (.NET cannot tell a block device from a FIFO, and opening a FIFO to find out would block).
/// </summary>
public static class HostPath
{
    /// <summary>The kind of <paramref name="path"/>, following links; throws <see cref="HostPathException"/> when stat fails otherwise than "missing" (e.g. EACCES).</summary>
    public static HostFileKind KindOf(string path) => Stat(path).Kind;

    /// <summary>
    /// statx(2) of <paramref name="path"/>, of the link itself when <paramref name="followLinks"/> is
    /// false. <see cref="HostFileStatus.Missing"/> when nothing is there (ENOENT, or ENOTDIR: a file
    /// stands where a directory was needed); any other failure throws <see cref="HostPathException"/>.
    /// </summary>
    public static unsafe HostFileStatus Stat(string path, bool followLinks = true)
    {
        if (path.Length == 0 || path.Contains('\0')) return HostFileStatus.Missing;
        Libc.statx status = default;
        int flags = followLinks ? 0 : Libc.AT_SYMLINK_NOFOLLOW;
        // SAFETY: status is a struct statx on this frame, as large as what the kernel writes; the path
        // is marshalled as a NUL-terminated UTF-8 copy that outlives the call.
        if (Libc.Statx(Libc.AT_FDCWD, path, flags, Libc.STATX_TYPE | Libc.STATX_INO, &status) != 0)
        {
            int errno = Marshal.GetLastPInvokeError();
            if (errno is Errno.ENOENT or Errno.ENOTDIR) return HostFileStatus.Missing;
            throw new HostPathException(errno, path);
        }
        ulong device = ((ulong)status.stx_dev_major << 32) | status.stx_dev_minor;
        return new HostFileStatus(KindOfMode(status.stx_mode), device, status.stx_ino);
    }

    /// <summary>The group that owns <paramref name="path"/> (statx's stx_gid), following links; throws <see cref="HostPathException"/> when stat fails.</summary>
    public static unsafe uint GroupOf(string path)
    {
        Libc.statx status = default;
        // SAFETY: as in Stat: a struct statx on this frame and a marshalled copy of the path.
        if (Libc.Statx(Libc.AT_FDCWD, path, 0, Libc.STATX_GID, &status) != 0) throw new HostPathException(Marshal.GetLastPInvokeError(), path);
        return status.stx_gid;
    }

    private static HostFileKind KindOfMode(uint mode) => (mode & Libc.S_IFMT) switch
    {
        0x8000 => HostFileKind.Regular,
        0x4000 => HostFileKind.Directory,
        0x6000 => HostFileKind.BlockDevice,
        0x2000 => HostFileKind.CharacterDevice,
        0x1000 => HostFileKind.Fifo,
        0xc000 => HostFileKind.Socket,
        _ => HostFileKind.Other,
    };

    /// <summary>
    /// <paramref name="path"/> with every symbolic link, <c>.</c> and <c>..</c> resolved (realpath(3)),
    /// or null when it does not exist or cannot be resolved.
    /// </summary>
    public static string? Resolve(string path)
    {
        if (path.Length == 0 || path.Contains('\0')) return null;
        nint resolved = Libc.RealPath(path, 0);
        if (resolved == 0) return null;
        try
        {
            return Marshal.PtrToStringUTF8(resolved);
        }
        finally
        {
            Libc.Free(resolved);
        }
    }

    /// <summary>True when <paramref name="path"/> is <paramref name="directory"/> itself or lies beneath it (both already resolved).</summary>
    public static bool IsWithin(string path, string directory) =>
        path == directory || path.StartsWith(directory.EndsWith('/') ? directory : directory + "/", StringComparison.Ordinal);
}

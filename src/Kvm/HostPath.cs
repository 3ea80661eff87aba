using System.Runtime.InteropServices;
using Tern.Kvm.Interop;

namespace Tern.Kvm;

/// <summary>The type of a path on the host, as stat(2) reports it after following links.</summary>
public enum HostFileKind { Missing, Regular, Directory, BlockDevice, CharacterDevice, Fifo, Socket, Other }

/// <summary>
/// Paths on the host as the kernel sees them: what a path resolves to, and what kind of file it
/// is (.NET cannot tell a block device from a FIFO, and opening a FIFO to find out would block).
/// </summary>
public static class HostPath
{
    private const int StatBufferSize = 256;  // struct stat is 144 bytes on x86_64
    private const int StModeOffset = 24;     // after st_dev, st_ino, st_nlink (8 bytes each)
    private const uint S_IFMT = 0xf000;

    /// <summary>The kind of <paramref name="path"/>; throws <see cref="IOException"/> when stat fails otherwise than "missing" (e.g. EACCES).</summary>
    public static unsafe HostFileKind KindOf(string path)
    {
        if (path.Length == 0 || path.Contains('\0')) return HostFileKind.Missing;
        byte* buffer = stackalloc byte[StatBufferSize];
        // SAFETY: stat writes at most sizeof(struct stat) (144 bytes on x86_64) into buffer, which
        // holds 256; the path is marshalled as a NUL-terminated UTF-8 copy that outlives the call.
        if (Libc.Stat(path, buffer) != 0)
        {
            int errno = Marshal.GetLastPInvokeError();
            if (errno is Errno.ENOENT or Errno.ENOTDIR) return HostFileKind.Missing;
            throw new IOException(Marshal.GetPInvokeErrorMessage(errno));
        }
        // SAFETY: stat succeeded, so bytes StModeOffset..+4 hold st_mode; the read is in bounds.
        uint mode = *(uint*)(buffer + StModeOffset);
        return (mode & S_IFMT) switch
        {
            0x8000 => HostFileKind.Regular,
            0x4000 => HostFileKind.Directory,
            0x6000 => HostFileKind.BlockDevice,
            0x2000 => HostFileKind.CharacterDevice,
            0x1000 => HostFileKind.Fifo,
            0xc000 => HostFileKind.Socket,
            _ => HostFileKind.Other,
        };
    }

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

using System.Runtime.InteropServices;

namespace Tern.Host.CommandLine;

/// <summary>The type of a path on the host, as stat(2) reports it after following links.</summary>
public enum HostFileKind { Missing, Regular, Directory, BlockDevice, CharacterDevice, Fifo, Socket, Other }

/// <summary>
/// File-type checks .NET does not offer (it cannot tell a block device from a FIFO, and opening
/// a FIFO to find out would block). x86_64 only, like the rest of Tern.
/// </summary>
public static partial class HostFiles
{
    private const int StatBufferSize = 256;  // struct stat is 144 bytes on x86_64
    private const int StModeOffset = 24;     // after st_dev, st_ino, st_nlink (8 bytes each)
    private const uint S_IFMT = 0xf000;
    private const int ENOENT = 2;
    private const int ENOTDIR = 20;

    /// <summary>The kind of <paramref name="path"/>; throws <see cref="IOException"/> when stat fails otherwise (e.g. EACCES).</summary>
    public static unsafe HostFileKind KindOf(string path)
    {
        if (path.Length == 0 || path.Contains('\0')) return HostFileKind.Missing;
        byte* buffer = stackalloc byte[StatBufferSize];
        // SAFETY: stat writes at most sizeof(struct stat) (144 bytes on x86_64) into buffer, which
        // holds 256; the path is marshalled as a NUL-terminated UTF-8 copy that outlives the call.
        int result = Stat(path, buffer);
        if (result != 0)
        {
            int errno = Marshal.GetLastPInvokeError();
            if (errno is ENOENT or ENOTDIR) return HostFileKind.Missing;
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

    [LibraryImport("libc", EntryPoint = "stat", SetLastError = true, StringMarshalling = StringMarshalling.Utf8)]
    private static unsafe partial int Stat(string path, byte* buffer);
}

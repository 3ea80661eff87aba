using System.Runtime.InteropServices;

namespace Tern.Host.Qmp;

/// <summary>
/// lstat-like facts about a path through statx(2), whose struct has one layout on every Linux
/// architecture. .NET does not say whether a path is a socket, and the QMP listener must know
/// before it replaces a file.
/// </summary>
internal static partial class Statx
{
    private const int AT_FDCWD = -100;
    private const int AT_SYMLINK_NOFOLLOW = 0x100;
    private const uint STATX_TYPE = 0x1;
    private const uint STATX_INO = 0x100;
    private const int SizeofStatx = 256;
    private const int ModeOffset = 0x1c;   // __u16 stx_mode
    private const int InoOffset = 0x20;    // __u64 stx_ino
    private const int DevMajorOffset = 0x88; // __u32 stx_dev_major, then stx_dev_minor
    private const int S_IFMT = 0xf000;
    private const int S_IFSOCK = 0xc000;
    private const int ENOENT = 2;

    /// <summary>The file at a path: whether it is a socket, and which inode it is (to recognise it later).</summary>
    public readonly record struct PathFacts(bool IsSocket, ulong Device, ulong Inode);

    [LibraryImport("libc", EntryPoint = "statx", SetLastError = true, StringMarshalling = StringMarshalling.Utf8)]
    private static unsafe partial int StatxCall(int dirfd, string path, int flags, uint mask, byte* buffer);

    /// <summary>Facts about <paramref name="path"/> itself (a symlink is not followed); null when nothing is there.</summary>
    public static unsafe PathFacts? Of(string path)
    {
        var buffer = new byte[SizeofStatx];
        int result;
        fixed (byte* p = buffer)
        {
            // SAFETY: p points to SizeofStatx pinned bytes, the size of struct statx the kernel writes.
            result = StatxCall(AT_FDCWD, path, AT_SYMLINK_NOFOLLOW, STATX_TYPE | STATX_INO, p);
        }
        if (result != 0)
        {
            int errno = Marshal.GetLastPInvokeError();
            if (errno == ENOENT) return null;
            throw new IOException($"statx {path}: errno {errno}");
        }
        int mode = MemoryMarshal.Read<ushort>(buffer.AsSpan(ModeOffset));
        ulong inode = MemoryMarshal.Read<ulong>(buffer.AsSpan(InoOffset));
        ulong device = MemoryMarshal.Read<ulong>(buffer.AsSpan(DevMajorOffset));
        return new PathFacts((mode & S_IFMT) == S_IFSOCK, device, inode);
    }
}

using System.Runtime.InteropServices;

namespace Tern.Kvm.Interop;

internal static unsafe partial class Libc
{
    internal const int AT_FDCWD = -100;
    internal const int AT_SYMLINK_NOFOLLOW = 0x100;
    internal const uint STATX_TYPE = 0x1;
    internal const uint STATX_GID = 0x10;
    internal const uint STATX_INO = 0x100;
    internal const uint S_IFMT = 0xf000;
    internal const uint S_IFREG = 0x8000;
    internal const uint STATX_SIZE = 0x200;
    /// <summary>With an empty path, statx describes dirfd itself: fstat.</summary>
    internal const int AT_EMPTY_PATH = 0x1000;

    /// <summary>
    /// statx(2): one struct layout on every Linux architecture, unlike struct stat, so no field
    /// offset depends on the machine.
    /// </summary>
    [LibraryImport("libc", EntryPoint = "statx", SetLastError = true, StringMarshalling = StringMarshalling.Utf8)]
    internal static partial int Statx(int dirfd, string path, int flags, uint mask, statx* buffer);

    /// <summary>linux/stat.h's struct statx_timestamp.</summary>
    [StructLayout(LayoutKind.Sequential)]
    internal struct statx_timestamp
    {
        public long tv_sec;
        public uint tv_nsec;
        private int __reserved;
    }

    /// <summary>linux/stat.h's struct statx (256 bytes; the tail is room the kernel may fill in later).</summary>
    [StructLayout(LayoutKind.Sequential)]
#pragma warning disable CS8981 // the kernel's name, as the kvm_* structs keep theirs
    internal struct statx
#pragma warning restore CS8981
    {
        public uint stx_mask;
        public uint stx_blksize;
        public ulong stx_attributes;
        public uint stx_nlink;
        public uint stx_uid;
        public uint stx_gid;
        public ushort stx_mode;
        private ushort __spare0;
        public ulong stx_ino;
        public ulong stx_size;
        public ulong stx_blocks;
        public ulong stx_attributes_mask;
        public statx_timestamp stx_atime;
        public statx_timestamp stx_btime;
        public statx_timestamp stx_ctime;
        public statx_timestamp stx_mtime;
        public uint stx_rdev_major;
        public uint stx_rdev_minor;
        public uint stx_dev_major;
        public uint stx_dev_minor;
        private fixed ulong __spare2[14];
    }
}

using System.Runtime.InteropServices;

namespace Tern.Kvm.Interop;

/// <summary>Files that back guest RAM: memfd, hugetlbfs, tmpfs.</summary>
internal static unsafe partial class Libc
{
    internal const int O_CREAT = 0x40;
    internal const int O_EXCL = 0x80;
    internal const uint MFD_CLOEXEC = 1;
    internal const int MADV_REMOVE = 9;
    internal const int MADV_DONTDUMP = 16;
    internal const long HUGETLBFS_MAGIC = 0x958458f6;

    [LibraryImport("libc", EntryPoint = "memfd_create", SetLastError = true, StringMarshalling = StringMarshalling.Utf8)]
    internal static partial int MemfdCreate(string name, uint flags);

    [LibraryImport("libc", EntryPoint = "ftruncate64", SetLastError = true)]
    internal static partial int FTruncate(int fd, long length);

    [LibraryImport("libc", EntryPoint = "unlink", SetLastError = true, StringMarshalling = StringMarshalling.Utf8)]
    internal static partial int Unlink(string path);

    [LibraryImport("libc", EntryPoint = "fstatfs64", SetLastError = true)]
    internal static partial int FStatFs(int fd, StatFs* buf);

    /// <summary>struct statfs on x86-64: only the first two fields are read; the rest is room.</summary>
    [StructLayout(LayoutKind.Sequential, Size = 120)]
    internal struct StatFs
    {
        public long Type;
        public long BlockSize;
    }
}

using System.Runtime.InteropServices;

namespace Tern.Kvm.Interop;

internal static unsafe partial class Libc
{
    internal const int PROT_NONE = 0;
    internal const int PROT_READ = 1;
    internal const int PROT_WRITE = 2;
    internal const int PROT_EXEC = 4;
    internal const int MAP_SHARED = 0x01;
    internal const int MAP_PRIVATE = 0x02;
    internal const int MAP_FIXED = 0x10;
    internal const int MAP_ANONYMOUS = 0x20;
    internal const int MAP_NORESERVE = 0x4000;
    internal const int MADV_DONTNEED = 4;
    internal const int MADV_HUGEPAGE = 14;
    internal const int MADV_POPULATE_WRITE = 23;
    internal static readonly nint MAP_FAILED = -1;

    [LibraryImport("libc", EntryPoint = "mmap", SetLastError = true)]
    internal static partial nint MMap(nint addr, nuint length, int prot, int flags, int fd, long offset);

    [LibraryImport("libc", EntryPoint = "munmap", SetLastError = true)]
    internal static partial int MUnmap(nint addr, nuint length);

    [LibraryImport("libc", EntryPoint = "mprotect", SetLastError = true)]
    internal static partial int MProtect(nint addr, nuint length, int prot);

    [LibraryImport("libc", EntryPoint = "madvise", SetLastError = true)]
    internal static partial int MAdvise(nint addr, nuint length, int advice);
}

using System.Runtime.InteropServices;

namespace Tern.Kvm.Interop;

internal static unsafe partial class Libc
{
    internal const int O_RDONLY = 0;
    internal const int O_RDWR = 2;
    internal const int O_CLOEXEC = 0x80000;
    internal const int O_NONBLOCK = 0x800;
    internal const int O_DIRECT = 0x4000;

    [LibraryImport("libc", EntryPoint = "open", SetLastError = true, StringMarshalling = StringMarshalling.Utf8)]
    internal static partial int Open(string path, int flags, int mode);

    [LibraryImport("libc", EntryPoint = "close", SetLastError = true)]
    internal static partial int Close(int fd);

    [LibraryImport("libc", EntryPoint = "read", SetLastError = true)]
    internal static partial nint Read(int fd, void* buf, nuint count);

    [LibraryImport("libc", EntryPoint = "write", SetLastError = true)]
    internal static partial nint Write(int fd, void* buf, nuint count);

    [LibraryImport("libc", EntryPoint = "pread64", SetLastError = true)]
    internal static partial nint PRead(int fd, void* buf, nuint count, long offset);

    [LibraryImport("libc", EntryPoint = "pwrite64", SetLastError = true)]
    internal static partial nint PWrite(int fd, void* buf, nuint count, long offset);

    internal const int SEEK_END = 2;
    /// <summary>lseek to the first byte at or after the offset that the file holds memory or blocks for (ENXIO past the last).</summary>
    internal const int SEEK_DATA = 3;
    /// <summary>lseek to the first hole at or after the offset (the end of the file counts as one).</summary>
    internal const int SEEK_HOLE = 4;

    [LibraryImport("libc", EntryPoint = "lseek64", SetLastError = true)]
    internal static partial long LSeek(int fd, long offset, int whence);

    [LibraryImport("libc", EntryPoint = "fdatasync", SetLastError = true)]
    internal static partial int FDataSync(int fd);

    internal const int FALLOC_FL_KEEP_SIZE = 1;
    internal const int FALLOC_FL_PUNCH_HOLE = 2;

    [LibraryImport("libc", EntryPoint = "fallocate64", SetLastError = true)]
    internal static partial int Fallocate(int fd, int mode, long offset, long length);

    [LibraryImport("libc", EntryPoint = "poll", SetLastError = true)]
    internal static partial int Poll(PollFd* fds, nuint nfds, int timeoutMs);

    internal const short POLLIN = 1;
    internal const short POLLERR = 8;
    internal const short POLLHUP = 0x10;

    [StructLayout(LayoutKind.Sequential)]
    internal struct PollFd
    {
        public int Fd;
        public short Events;
        public short REvents;
    }
}

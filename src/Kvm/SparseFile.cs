using System.Runtime.InteropServices;
using Microsoft.Win32.SafeHandles;
using Tern.Kvm.Interop;

namespace Tern.Kvm;

/// <summary>What a snapshot's writer needs of a file beyond .NET's positioned I/O: holes and durable writes.</summary>
public static class SparseFile
{
    /// <summary>Turns [offset, offset+length) into a hole (it reads zero and holds no blocks); the size stays.</summary>
    public static void PunchHole(SafeFileHandle file, long offset, long length) =>
        WithFd(file, fd => Libc.Fallocate(fd, Libc.FALLOC_FL_PUNCH_HOLE | Libc.FALLOC_FL_KEEP_SIZE, offset, length), "fallocate PUNCH_HOLE");

    /// <summary>fdatasync: the file's data and size are on stable storage when it returns.</summary>
    public static void SyncData(SafeFileHandle file) => WithFd(file, Libc.FDataSync, "fdatasync");

    /// <summary>fsync of a directory: a rename or create in it is on stable storage when it returns.</summary>
    public static void SyncDirectory(string directory)
    {
        int fd = Libc.Open(directory, Libc.O_RDONLY | Libc.O_CLOEXEC, 0);
        if (fd < 0) throw new KvmException(Marshal.GetLastPInvokeError(), $"open {directory}");
        try
        {
            if (Libc.FDataSync(fd) != 0) throw new KvmException(Marshal.GetLastPInvokeError(), $"fsync {directory}");
        }
        finally
        {
            Libc.Close(fd);
        }
    }

    private static void WithFd(SafeFileHandle file, Func<int, int> call, string what)
    {
        bool added = false;
        file.DangerousAddRef(ref added);
        try
        {
            if (call((int)file.DangerousGetHandle()) != 0) throw new KvmException(Marshal.GetLastPInvokeError(), what);
        }
        finally
        {
            if (added) file.DangerousRelease();
        }
    }
}

using System.Runtime.InteropServices;

namespace Tern.Kvm.Interop;

/// <summary>What a process gives up of itself: new privileges, system calls (seccomp), its user and groups, its view of the file system.</summary>
internal static unsafe partial class Libc
{
    internal const int PR_SET_NO_NEW_PRIVS = 38;
    internal const long SYS_seccomp = 317;
    internal const uint SECCOMP_SET_MODE_FILTER = 1;
    internal const uint SECCOMP_FILTER_FLAG_TSYNC = 1;

    /// <summary>struct sock_fprog (linux/filter.h): a classic BPF program's length and instructions.</summary>
    [StructLayout(LayoutKind.Sequential)]
    internal struct sock_fprog
    {
        public ushort len;
        public void* filter;
    }

    [LibraryImport("libc", EntryPoint = "chroot", SetLastError = true, StringMarshalling = StringMarshalling.Utf8)]
    internal static partial int Chroot(string path);

    [LibraryImport("libc", EntryPoint = "chdir", SetLastError = true, StringMarshalling = StringMarshalling.Utf8)]
    internal static partial int Chdir(string path);

    [LibraryImport("libc", EntryPoint = "prctl", SetLastError = true)]
    internal static partial int Prctl(int option, nuint arg2, nuint arg3, nuint arg4, nuint arg5);

    /// <summary>syscall(2) with six register arguments: glibc has no seccomp() wrapper, and a probe may make any call.</summary>
    [LibraryImport("libc", EntryPoint = "syscall", SetLastError = true)]
    internal static partial long Syscall(long number, nint a1, nint a2, nint a3, nint a4, nint a5, nint a6);

    /// <summary>glibc applies setgroups, setresgid and setresuid to every thread of the process (its setxid broadcast).</summary>
    [LibraryImport("libc", EntryPoint = "setgroups", SetLastError = true)]
    internal static partial int SetGroups(nuint size, uint* groups);

    [LibraryImport("libc", EntryPoint = "setresgid", SetLastError = true)]
    internal static partial int SetResGid(uint real, uint effective, uint saved);

    [LibraryImport("libc", EntryPoint = "setresuid", SetLastError = true)]
    internal static partial int SetResUid(uint real, uint effective, uint saved);

    [LibraryImport("libc", EntryPoint = "getresuid", SetLastError = true)]
    internal static partial int GetResUid(uint* real, uint* effective, uint* saved);

    [LibraryImport("libc", EntryPoint = "getresgid", SetLastError = true)]
    internal static partial int GetResGid(uint* real, uint* effective, uint* saved);
}

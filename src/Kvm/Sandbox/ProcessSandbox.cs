using System.Runtime.InteropServices;
using Tern.Kvm.Interop;

namespace Tern.Kvm.Sandbox;

/// <summary>
/// What a process gives up for good, every thread at once: the right to gain privileges through
/// exec, the file system beyond one directory, its user and groups, and every system call a
/// seccomp filter does not allow. Each throws
/// <see cref="HostProcessException"/> naming the call that failed.
/// </summary>
public static unsafe class ProcessSandbox
{
    /// <summary>prctl(PR_SET_NO_NEW_PRIVS): no exec from now on gains privileges (setuid bits, file capabilities); kept across fork and exec.</summary>
    public static void ForbidNewPrivileges()
    {
        if (Libc.Prctl(Libc.PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) != 0) throw new HostProcessException(Marshal.GetLastPInvokeError(), "prctl PR_SET_NO_NEW_PRIVS");
    }

    /// <summary>
    /// seccomp(SECCOMP_SET_MODE_FILTER, SECCOMP_FILTER_FLAG_TSYNC): from now on every thread of the
    /// process, those that exist and those it starts, runs <paramref name="program"/> before each
    /// system call. Needs <see cref="ForbidNewPrivileges"/> first (or CAP_SYS_ADMIN).
    /// </summary>
    public static void InstallSeccompFilter(BpfInstruction[] program)
    {
        if (program.Length is 0 or > SeccompProgram.MaxInstructions) throw new ArgumentException($"a filter has 1..{SeccompProgram.MaxInstructions} instructions, not {program.Length}", nameof(program));
        long result;
        // SAFETY: the array is pinned for the call; BpfInstruction has sock_filter's layout (a test checks its size), and
        // the kernel copies the program before it returns.
        fixed (BpfInstruction* instructions = program)
        {
            var fprog = new Libc.sock_fprog { len = (ushort)program.Length, filter = instructions };
            result = Libc.Syscall(Libc.SYS_seccomp, (nint)Libc.SECCOMP_SET_MODE_FILTER, (nint)Libc.SECCOMP_FILTER_FLAG_TSYNC, (nint)(&fprog), 0, 0, 0);
        }
        if (result < 0) throw new HostProcessException(Marshal.GetLastPInvokeError(), "seccomp SECCOMP_SET_MODE_FILTER");
        // With TSYNC a positive result is the id of a thread that could not take the filter (it runs another one): none took it.
        if (result > 0) throw new HostProcessException(Errno.EINVAL, $"seccomp TSYNC: thread {result} runs a filter of its own");
    }

    /// <summary>
    /// chroot(2) into <paramref name="directory"/>, then chdir("/"): from now on no path the process
    /// opens leads outside it. Given an empty directory no path leads anywhere, which is the point.
    /// Needs CAP_SYS_CHROOT (root), so it comes before <see cref="DropPrivileges"/>; a process that
    /// may not call chroot again (a user without the capability, or a seccomp filter that forbids
    /// it) and holds no descriptor of a directory outside cannot climb back out.
    /// </summary>
    public static void ConfineTo(string directory)
    {
        if (Libc.Chroot(directory) != 0) throw new HostProcessException(Marshal.GetLastPInvokeError(), $"chroot {directory}");
        if (Libc.Chdir("/") != 0) throw new HostProcessException(Marshal.GetLastPInvokeError(), "chdir /");
    }

    /// <summary>
    /// Becomes <paramref name="uid"/>:<paramref name="gid"/> with exactly <paramref name="groups"/>
    /// as supplementary groups, real, effective and saved ids alike, so no way back remains; the
    /// groups first and the user last, since only a privileged user may change the others.
    /// </summary>
    public static void DropPrivileges(uint uid, uint gid, IReadOnlyList<uint> groups)
    {
        var list = groups.ToArray();
        // SAFETY: the array is pinned for the call, which reads list.Length gids from it.
        fixed (uint* g = list)
            if (Libc.SetGroups((nuint)list.Length, g) != 0) throw new HostProcessException(Marshal.GetLastPInvokeError(), "setgroups");
        if (Libc.SetResGid(gid, gid, gid) != 0) throw new HostProcessException(Marshal.GetLastPInvokeError(), $"setresgid {gid}");
        if (Libc.SetResUid(uid, uid, uid) != 0) throw new HostProcessException(Marshal.GetLastPInvokeError(), $"setresuid {uid}");
        uint ru, eu, su, rg, eg, sg;
        // SAFETY: six locals of this frame, written by the calls.
        if (Libc.GetResUid(&ru, &eu, &su) != 0 || Libc.GetResGid(&rg, &eg, &sg) != 0) throw new HostProcessException(Marshal.GetLastPInvokeError(), "getresuid/getresgid");
        if (ru != uid || eu != uid || su != uid || rg != gid || eg != gid || sg != gid)
            throw new HostProcessException(Errno.EINVAL, $"after the drop the ids are uid {ru}/{eu}/{su} gid {rg}/{eg}/{sg}, not {uid}:{gid}");
    }

    /// <summary>
    /// Makes <paramref name="call"/> with every argument zero and returns its errno (0 when it
    /// succeeded): how a sandbox is probed. Under a killing filter a forbidden call never returns.
    /// </summary>
    public static int Attempt(Syscall call) =>
        Libc.Syscall((long)call, 0, 0, 0, 0, 0, 0) < 0 ? Marshal.GetLastPInvokeError() : 0;

    /// <summary>Opens <paramref name="path"/> for reading and closes it again; returns the errno, 0 when it opened: how a sandbox's file access is probed.</summary>
    public static int AttemptOpen(string path)
    {
        int fd = Libc.Open(path, Libc.O_RDONLY | Libc.O_CLOEXEC, 0);
        if (fd < 0) return Marshal.GetLastPInvokeError();
        Libc.Close(fd);
        return 0;
    }
}

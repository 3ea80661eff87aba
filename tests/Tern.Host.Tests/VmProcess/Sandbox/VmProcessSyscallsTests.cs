using Tern.Host.VmProcess.Sandbox;
using Tern.Kvm.Sandbox;
using Tern.TestSupport.Sandbox;
using static Tern.Kvm.Sandbox.Syscall;

namespace Tern.Host.Tests.VmProcess.Sandbox;

public sealed class VmProcessSyscallsTests
{
    /// <summary>What an escaped guest would want first; none of it is anything a running VM does.</summary>
    public static TheoryData<Syscall> Forbidden => new(
        execve, execveat, fork, vfork, ptrace, process_vm_readv, process_vm_writev, kill, mount, umount2, pivot_root, chroot,
        unshare, setns, init_module, finit_module, delete_module, kexec_load, kexec_file_load, bpf, perf_event_open,
        io_uring_setup, setuid, setgid, setresuid, setresgid, setgroups, capset, chmod, fchmod, chown, fchown, mkdir, rmdir,
        mknod, link, symlink, rename, keyctl, add_key, request_key, userfaultfd, personality, reboot, open_by_handle_at);

    [Theory]
    [MemberData(nameof(Forbidden))]
    public void A_call_an_escaped_guest_would_want_kills_the_process(Syscall call)
    {
        Assert.DoesNotContain(call, VmProcessSyscalls.Allowed);
        Assert.Equal(SeccompProgram.RetKillProcess, SeccompInterpreter.Run(VmProcessSyscalls.Filter, (uint)call));
    }

    [Fact]
    public void Every_allowed_call_passes_the_filter_once_and_the_hottest_is_compared_first()
    {
        Assert.Equal(VmProcessSyscalls.Allowed.Count, VmProcessSyscalls.Allowed.Distinct().Count());
        Assert.All(VmProcessSyscalls.Allowed, call => Assert.Equal(SeccompProgram.RetAllow, SeccompInterpreter.Run(VmProcessSyscalls.Filter, (uint)call)));
        Assert.Equal(ioctl, VmProcessSyscalls.Allowed[0]); // KVM_RUN, on every guest exit
    }

    [Fact]
    public void What_the_vm_processes_of_the_cluster_tests_called_after_boot_is_allowed()
    {
        // strace -f of the native and the ReadyToRun `tern vm` through boot, ticks, console, TLS and plain migrations out and in, quit.
        Syscall[] measured =
        [
            sched_yield, futex, ioctl, recvmsg, sendto, epoll_wait, stat, mprotect, read, madvise, lstat, getrusage, close, openat,
            newfstatat, rt_sigprocmask, mmap, getpid, pread64, gettid, munmap, prctl, set_robust_list, sched_getaffinity, clone3,
            rseq, tgkill, rt_sigreturn, setsockopt, exit, shutdown, rt_sigaction, fcntl, fstat, flock, poll, epoll_ctl, recvfrom,
            write, socket, connect, getsockopt, accept4, getdents64, unlink, readlink, lseek, exit_group, brk, sigaltstack, pipe2,
            sched_get_priority_max, sched_get_priority_min, sched_setscheduler, sched_setaffinity,
        ];
        Assert.Empty(measured.Except(VmProcessSyscalls.Allowed));
    }
}

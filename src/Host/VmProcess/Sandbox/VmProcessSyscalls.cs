using Tern.Kvm.Sandbox;
using static Tern.Kvm.Sandbox.Syscall;

namespace Tern.Host.VmProcess.Sandbox;

/// <summary>
/// The system calls a `tern vm` process may make once its machine is built, and the seccomp
/// filter made of them (<see cref="VmSandbox.Enter"/>). Measured with <c>strace -f</c> on the VM
/// processes of the cluster tests — boot, ticks, console, disks, migrations out and in over TCP,
/// with and without TLS, quit — for the native build and for the ReadyToRun build a node falls
/// back to, then completed with the calls those paths make rarely (a GC, a new thread, a heap
/// that grows) and with same-host migration's descriptor passing. The most frequent come first:
/// the filter compares a call with each entry in turn.
///
/// Left out, so a guest that escapes its devices cannot use them: a new program (execve,
/// execveat), another process's memory or control (ptrace, process_vm_*, kill), the file system's
/// shape or owners (mount, chroot, mkdir, chmod, chown, link, rename), other namespaces
/// (unshare, setns), kernel code (init_module, kexec_*, bpf, perf_event_open, io_uring),
/// identities (setuid and the like, capset) and the kernel's keyring. A call not listed kills the
/// process at once (SIGSYS, logged by the kernel with the call's number): as Firecracker does,
/// since a VMM that makes a call it never makes is either compromised or on a path no one
/// measured, and going on with a refused call would leave it half working; the cluster restarts
/// the VM.
/// </summary>
public static class VmProcessSyscalls
{
    public static IReadOnlyList<Syscall> Allowed { get; } =
    [
        // vCPUs and devices: KVM_RUN and the other KVM ioctls, eventfds and the I/O thread's poll,
        // the console; .NET's thread pool and Akka's dispatchers spin, then sleep on futexes.
        ioctl, futex, sched_yield, epoll_wait, epoll_pwait, read, write, poll, ppoll,

        // Sockets: the node's VM channel, migration streams (TCP or UNIX) with their back channel,
        // the incoming listener's accept, and shared RAM's descriptors passed with SCM_RIGHTS.
        recvmsg, sendto, sendmsg, recvfrom, socket, connect, accept, accept4, bind, listen, shutdown,
        setsockopt, getsockopt, getsockname, getpeername, socketpair, epoll_ctl, epoll_create1, pipe2,

        // Disk images (virtio-blk) and the image locks a migration hands over (OFD locks; .NET's
        // own FileShare flock).
        pread64, pwrite64, preadv, pwritev, lseek, fdatasync, fsync, fcntl, flock,

        // Guest RAM and the runtime's heaps: mappings, their protection (the ReadyToRun build's
        // JIT), hole punching and dirty tracking, a memfd for shared RAM, malloc's heap.
        mmap, munmap, mprotect, madvise, mremap, brk, memfd_create, ftruncate, fstatfs, eventfd2,

        // Files read while the VM runs: TLS's trust store and configuration (a migration's
        // handshake), /proc/self (the runtime, dirty pages via pagemap), the channel socket removed at exit.
        openat, close, fstat, newfstatat, stat, lstat, statx, statfs, readlink, getdents64, access,
        faccessat, faccessat2, unlink, getcwd, uname, dup, dup3,

        // Threads: creation and exit (clone3, clone as glibc's fallback), names (prctl PR_SET_NAME),
        // vCPU kicks and the runtime's GC suspension (tgkill), barriers for the GC (membarrier).
        clone3, clone, set_robust_list, rseq, exit, gettid, getpid, getppid, tgkill, prctl, membarrier,
        sched_getaffinity, sched_setaffinity, sched_getparam, sched_getscheduler, sched_setscheduler,
        sched_get_priority_max, sched_get_priority_min, set_tid_address,

        // Signals: the kick's handler, the runtime's handlers and alternate stacks, SIGTERM's quit.
        rt_sigaction, rt_sigprocmask, rt_sigreturn, sigaltstack,

        // Time, randomness and what the GC asks of the machine (usually vDSO calls, not syscalls,
        // but a guest clock source the vDSO cannot read falls back to them).
        clock_gettime, clock_getres, clock_nanosleep, nanosleep, gettimeofday, getrandom,
        getrusage, sysinfo, prlimit64, getrlimit, get_mempolicy,

        // Who the process is (the runtime asks), and its end.
        getuid, geteuid, getgid, getegid, getresuid, getresgid, exit_group,
    ];

    /// <summary>The filter: <see cref="Allowed"/>, anything else kills the process.</summary>
    public static BpfInstruction[] Filter { get; } = SeccompProgram.Allowing(Allowed, SeccompViolation.KillProcess);
}

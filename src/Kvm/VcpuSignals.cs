using System.Runtime.InteropServices;
using Tern.Kvm.Interop;

namespace Tern.Kvm;

/// <summary>
/// The signal that kicks a vCPU thread out of KVM_RUN. Its handler must not run managed code, so
/// it is a one-byte native `ret` in an executable page; the signal's only effect is that KVM_RUN
/// returns EINTR (immediate_exit was set before it was sent).
/// </summary>
internal static unsafe class VcpuSignals
{
    private const int Signal = Libc.SIGUSR2;
    private static readonly Lock Gate = new();
    private static bool _installed;

    public static void EnsureInstalled()
    {
        lock (Gate)
        {
            if (_installed) return;
            nint page = Libc.MMap(0, 4096, Libc.PROT_READ | Libc.PROT_WRITE, Libc.MAP_PRIVATE | Libc.MAP_ANONYMOUS, -1, 0);
            if (page == Libc.MAP_FAILED) throw new KvmException(Marshal.GetLastPInvokeError(), "mmap signal trampoline");
            *(byte*)page = 0xC3; // ret
            Errno.Check(Libc.MProtect(page, 4096, Libc.PROT_READ | Libc.PROT_EXEC), "mprotect signal trampoline");
            var action = new Libc.SigAction { Handler = page, Flags = 0 };
            // SAFETY: action is a fully initialised local; the handler page stays mapped for the process lifetime.
            Errno.Check(Libc.SigActionSet(Signal, &action, null), "sigaction SIGUSR2");
            _installed = true;
        }
    }

    public static void Kick(int threadId)
    {
        EnsureInstalled();
        Libc.TgKill(Libc.GetPid(), threadId, Signal);
    }
}

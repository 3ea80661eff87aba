using System.Runtime.InteropServices;

namespace Tern.Kvm.Interop;

internal static unsafe partial class Libc
{
    internal const int SIGUSR2 = 12;

    /// <summary>glibc's struct sigaction on x86_64 (152 bytes).</summary>
    [StructLayout(LayoutKind.Sequential)]
    internal struct SigAction
    {
        public nint Handler;
        public fixed ulong Mask[16];
        public int Flags;
        public int Padding;
        public nint Restorer;
    }

    [LibraryImport("libc", EntryPoint = "sigaction", SetLastError = true)]
    internal static partial int SigActionSet(int signal, SigAction* action, SigAction* old);

    [LibraryImport("libc", EntryPoint = "tgkill", SetLastError = true)]
    internal static partial int TgKill(int tgid, int tid, int signal);

    [LibraryImport("libc", EntryPoint = "gettid")]
    internal static partial int GetTid();

    [LibraryImport("libc", EntryPoint = "getpid")]
    internal static partial int GetPid();
}

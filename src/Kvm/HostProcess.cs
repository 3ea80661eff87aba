using System.Runtime.InteropServices;
using Tern.Kvm.Interop;

namespace Tern.Kvm;

/// <summary>What the tern process asks of the kernel about itself: its file mode mask, its session, its native environment, replacing its image.</summary>
public static class HostProcess
{
    /// <summary>umask(2): the permission bits cleared from files and directories the process creates from now on; returns the mask before.</summary>
    public static uint SetFileModeMask(uint mask) => Libc.Umask(mask);

    /// <summary>The user this process acts as now (it changes when a VM process enters its sandbox).</summary>
    public static uint EffectiveUid => Libc.GetEffectiveUid();

    /// <summary>
    /// _exit(2) after <paramref name="grace"/>, from a thread of its own, unless the process has
    /// ended by then: a fenced VM process must not outlive its fence however slow its orderly quit is
    /// on a loaded host (the kernel then frees its memory and releases its image locks).
    /// </summary>
    public static void ExitNowAfter(TimeSpan grace, int status) =>
        new Thread(() =>
        {
            Thread.Sleep(grace);
            Console.Out.Flush();
            Console.Error.Flush();
            Libc.Exit(status);
        }) { IsBackground = true, Name = "exit-deadline" }.Start();

    /// <summary>
    /// setsid(2): makes this process the leader of a new session and process group, so signals
    /// sent to the group or terminal it was started from (a Ctrl-C) no longer reach it. Throws
    /// <see cref="HostProcessException"/> on failure (the process already leads a group).
    /// </summary>
    public static void StartNewSession()
    {
        if (Libc.SetSid() < 0) throw new HostProcessException(Marshal.GetLastPInvokeError(), "setsid");
    }

    /// <summary>
    /// setenv(3): changes the native environment, which native libraries (OpenSSL) read;
    /// <see cref="Environment.SetEnvironmentVariable(string, string)"/> changes only .NET's copy.
    /// Throws <see cref="HostProcessException"/> on failure.
    /// </summary>
    public static void SetNativeEnvironment(string name, string value)
    {
        if (Libc.SetEnv(name, value, 1) != 0) throw new HostProcessException(Marshal.GetLastPInvokeError(), $"setenv {name}");
    }

    /// <summary>
    /// execv(2): replaces this process with <paramref name="path"/>, given <paramref name="args"/>
    /// after argv[0] (the same process id, so signals and the exit code pass through). Returns
    /// only on failure, with the errno.
    /// </summary>
    public static int Exec(string path, IReadOnlyList<string> args)
    {
        var argv = new nint[args.Count + 2]; // argv[0], the arguments, a terminating null
        try
        {
            argv[0] = Marshal.StringToCoTaskMemUTF8(path);
            for (int i = 0; i < args.Count; i++) argv[i + 1] = Marshal.StringToCoTaskMemUTF8(args[i]);
            Libc.ExecV(path, argv);
            return Marshal.GetLastPInvokeError();
        }
        finally
        {
            foreach (nint p in argv) Marshal.FreeCoTaskMem(p);
        }
    }
}

/// <summary>A call about the process itself failed: <see cref="Errno"/> and what was asked, with the kernel's reason.</summary>
public sealed class HostProcessException(int errno, string what) : IOException($"{what}: {Marshal.GetPInvokeErrorMessage(errno)}")
{
    public int Errno { get; } = errno;
}

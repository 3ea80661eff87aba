using System.Runtime.InteropServices;

namespace Tern.Kvm.Interop;

internal static partial class Libc
{
    [LibraryImport("libc", EntryPoint = "umask")]
    public static partial uint Umask(uint mask);

    [LibraryImport("libc", EntryPoint = "execv", SetLastError = true, StringMarshalling = StringMarshalling.Utf8)]
    public static partial int ExecV(string path, nint[] argv);

    [LibraryImport("libc", EntryPoint = "geteuid")]
    public static partial uint GetEffectiveUid();

    [LibraryImport("libc", EntryPoint = "setsid", SetLastError = true)]
    public static partial int SetSid();

    [LibraryImport("libc", EntryPoint = "_exit")]
    public static partial void Exit(int status);

    [LibraryImport("libc", EntryPoint = "setenv", SetLastError = true, StringMarshalling = StringMarshalling.Utf8)]
    public static partial int SetEnv(string name, string value, int overwrite);
}

using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using Tern.Kvm;

namespace Tern.Host;

/// <summary>
/// The native (ahead-of-time compiled) tern runs standalone VMs, `tern ctl` and `tern token` (see
/// NativeAot.targets). For `tern node` (and `tern ca`) it replaces itself with the ReadyToRun
/// build published beside it: same arguments and same process id, so signals and the exit code
/// reach the node as if it had been started directly.
/// </summary>
internal static class ClusterHandOff
{
    /// <summary>True in the native executable: it has no JIT, which the cluster's libraries need.</summary>
    public static bool Needed => !RuntimeFeature.IsDynamicCodeSupported;

    public static string ClusterExecutable => Path.Combine(AppContext.BaseDirectory, "node", "tern");

    /// <summary>Execs the cluster build with <paramref name="args"/> (which start with the verb); returns only on failure.</summary>
    public static int Exec(string[] args)
    {
        string path = ClusterExecutable;
        if (!File.Exists(path))
        {
            Console.Error.WriteLine($"tern {args[0]}: the cluster build is missing ({path}); ./tern builds it");
            return 1;
        }
        Console.Out.Flush();
        int errno = HostProcess.Exec(path, args);
        Console.Error.WriteLine($"tern {args[0]}: cannot start {path}: {Marshal.GetPInvokeErrorMessage(errno)}");
        return 1;
    }
}

using System.Runtime.InteropServices;
using Tern.Kvm.Sandbox;

namespace Tern.Host.VmProcess.Sandbox;

/// <summary>
/// For tests only: with <c>TERN_TEST_SANDBOX_PROBE</c> set (the node passes its environment on), a
/// VM process that has entered its sandbox tries what the variable lists, a second later, and says
/// on its standard error how each attempt ended — <c>open:PATH</c> opens a file for reading,
/// <c>syscall:NAME</c> makes that system call with zero arguments — so that a test can see a
/// forbidden call fail, or the process die of it. Several probes are separated by ';'.
/// </summary>
public static class SandboxProbe
{
    public const string Variable = "TERN_TEST_SANDBOX_PROBE";
    public static readonly TimeSpan Delay = TimeSpan.FromSeconds(1);

    /// <summary>The probes asked for, or null when the variable is unset.</summary>
    public static string? Requested => Environment.GetEnvironmentVariable(Variable) is { Length: > 0 } probes ? probes : null;

    public static void Run(string vm, string probes)
    {
        foreach (string probe in probes.Split(';', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries))
        {
            string[] parts = probe.Split(':', 2);
            int? errno = parts switch
            {
                ["open", var path] => ProcessSandbox.AttemptOpen(path),
                ["syscall", var name] when Enum.TryParse<Syscall>(name, out var call) => ProcessSandbox.Attempt(call),
                _ => null,
            };
            Console.Error.WriteLine($"tern vm {vm}: sandbox probe {probe}: {Describe(errno)}");
        }
    }

    private static string Describe(int? errno) => errno switch
    {
        null => "not understood",
        0 => "succeeded",
        { } e => $"failed with errno {e} ({Marshal.GetPInvokeErrorMessage(e)})",
    };
}

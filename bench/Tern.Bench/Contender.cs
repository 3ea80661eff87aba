namespace Tern.Bench;

/// <summary>
/// One VMM configuration under measurement: how to start it and which anonymous mappings of its
/// address space are guest RAM (found by size, since neither VMM names them).
/// </summary>
/// <param name="Name">Label used in the tables, e.g. "Tern" or "QEMU microvm".</param>
/// <param name="Executable">Program to start.</param>
/// <param name="Arguments">Arguments for a given guest command line (the kernel's -append text).</param>
/// <param name="Environment">Extra environment variables for the child process.</param>
/// <param name="GuestRamSizes">Byte sizes of the guest RAM mappings, one per RAM region.</param>
/// <param name="IsTern">True for Tern itself; ratios are Tern's median over the others'.</param>
public sealed record Contender(
    string Name,
    string Executable,
    Func<string, IReadOnlyList<string>> Arguments,
    IReadOnlyDictionary<string, string> Environment,
    IReadOnlyList<ulong> GuestRamSizes,
    bool IsTern)
{
    /// <summary>The command as a shell would show it, for RESULTS.md.</summary>
    public string CommandLine(string append)
    {
        var env = Environment.Select(kv => $"{kv.Key}={kv.Value} ");
        var args = Arguments(append).Select(Quote);
        return string.Concat(env) + string.Join(' ', new[] { Quote(Executable) }.Concat(args));
    }

    private static string Quote(string arg)
    {
        arg = arg.Replace(System.Environment.CurrentDirectory + "/", ""); // paths relative to the repository
        return arg.Length > 0 && arg.All(c => char.IsLetterOrDigit(c) || "-_=,./:+".Contains(c)) ? arg : $"\"{arg}\"";
    }
}

using System.Globalization;
using Tern.Host.CommandLine;

namespace Tern.Host.VmProcess;

/// <summary>
/// <c>tern vm NAME --channel PATH --incarnation N --node-gone-after-ms MS
/// [--console-bytes N] [--sandbox] [--run-as UID:GID] -- STRATOVIRT-OPTIONS</c>: what a node starts
/// for each VM it runs (NAME first, so <c>ps</c> says which VM a process is). The options after
/// <c>--</c> describe the machine as a standalone <c>tern</c> reads them; their <c>-name</c> must be
/// NAME. <c>--sandbox</c>: no new privileges, and a seccomp filter once the machine is built;
/// <c>--run-as</c>: the user and group the process becomes then. It holds no credentials: in a TLS
/// cluster its node relays its migrations' TLS (MigrationTlsRelay).
/// </summary>
public sealed record VmProcessOptions(string Name, string Channel, long Incarnation, TimeSpan NodeGoneAfter, int ConsoleBytes, IReadOnlyList<string> Machine,
    bool Sandbox = false, VmProcessUser? RunAs = null)
{
    public const int DefaultConsoleBytes = 256 * 1024;

    public IReadOnlyList<string> ToArguments()
    {
        var args = new List<string> { "vm", Name, "--channel", Channel, "--incarnation", Inv(Incarnation), "--node-gone-after-ms", Inv((long)NodeGoneAfter.TotalMilliseconds) };
        args.AddRange(["--console-bytes", Inv(ConsoleBytes)]);
        if (Sandbox) args.Add("--sandbox");
        if (RunAs is { } user) args.AddRange(["--run-as", user.ToString()]);
        args.Add("--");
        args.AddRange(Machine);
        return args;
    }

    /// <summary>The options of `tern vm` (the arguments after the verb); a <see cref="CommandLineException"/> names what is wrong.</summary>
    public static VmProcessOptions Parse(IReadOnlyList<string> args)
    {
        if (args.Count == 0 || args[0].StartsWith('-')) throw new CommandLineException("tern vm: the VM's name must come first");
        string vm = args[0];
        string? channel = null;
        long? incarnation = null, goneMs = null;
        int console = DefaultConsoleBytes;
        bool sandbox = false;
        VmProcessUser? runAs = null;
        int i = 1;
        for (; i < args.Count && args[i] != "--"; i++)
        {
            string name = args[i];
            string Value() => ++i < args.Count ? args[i] : throw new CommandLineException($"tern vm: {name} needs a value");
            switch (name)
            {
                case "--channel": channel = Value(); break;
                case "--incarnation": incarnation = Number(name, Value(), 0, long.MaxValue); break;
                case "--node-gone-after-ms": goneMs = Number(name, Value(), 1, 3_600_000); break;
                case "--console-bytes": console = (int)Number(name, Value(), 4096, 64 << 20); break;
                case "--sandbox": sandbox = true; break;
                case "--run-as": runAs = VmProcessUser.Parse(Value()); break;
                default: throw new CommandLineException($"tern vm: unknown option '{EchoedText(name)}'");
            }
        }
        if (i >= args.Count) throw new CommandLineException("tern vm: the machine's options must follow '--'");
        return new VmProcessOptions(vm,
            channel ?? throw new CommandLineException("tern vm: --channel is required"),
            incarnation ?? throw new CommandLineException("tern vm: --incarnation is required"),
            TimeSpan.FromMilliseconds(goneMs ?? throw new CommandLineException("tern vm: --node-gone-after-ms is required")),
            console, args.Skip(i + 1).ToArray(), sandbox, runAs);
    }

    private static long Number(string name, string text, long min, long max) =>
        long.TryParse(text, NumberStyles.None, CultureInfo.InvariantCulture, out long v) && v >= min && v <= max
            ? v
            : throw new CommandLineException($"tern vm: {name} '{EchoedText(text)}' is not a number in {min}..{max}");

    private static string EchoedText(string text) => Tern.Devices.Config.EchoedText.Clip(text);

    private static string Inv(long value) => value.ToString(CultureInfo.InvariantCulture);
}

using Tern.Devices.Config;

namespace Tern.Host.CommandLine;

/// <summary>What a valid command line asks for: run a VM, or only print the version or the usage.</summary>
public abstract record CommandLineOutcome
{
    private CommandLineOutcome() { }

    public sealed record Run(VmConfig Config) : CommandLineOutcome;

    /// <summary><c>-version</c>, <c>-V</c> or <c>--version</c>: print <see cref="Text"/> and exit 0.</summary>
    public sealed record VersionRequested(string Text) : CommandLineOutcome;

    /// <summary><c>-h</c>, <c>-help</c> or <c>--help</c>: print <see cref="Text"/> and exit 0.</summary>
    public sealed record HelpRequested(string Text) : CommandLineOutcome;
}

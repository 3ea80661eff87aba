namespace Tern.Host.CommandLine;

/// <summary>
/// <see cref="VmCommandLine.Parse(IReadOnlyList{string})"/> throws this for <c>-version</c>: not an
/// error (exit 0), so deliberately not a <see cref="CommandLineException"/>.
/// </summary>
public sealed class VersionRequestedException() : Exception("-version requested");

/// <summary>Thrown by <see cref="VmCommandLine.Parse(IReadOnlyList{string})"/> for <c>-help</c>; print <see cref="Usage"/> and exit 0.</summary>
public sealed class HelpRequestedException(string usage) : Exception("-help requested")
{
    public string Usage { get; } = usage;
}

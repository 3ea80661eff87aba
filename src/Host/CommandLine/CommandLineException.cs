namespace Tern.Host.CommandLine;

/// <summary>A bad command line. The message is one line that names the culprit option or value.</summary>
public sealed class CommandLineException(string message) : Exception(message);

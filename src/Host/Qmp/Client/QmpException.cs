namespace Tern.Host.Qmp.Client;

/// <summary>A QMP error reply: the command and the server's description.</summary>
public sealed class QmpException(string command, string description) : Exception($"{command}: {description}");

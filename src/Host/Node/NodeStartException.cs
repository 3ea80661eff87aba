namespace Tern.Host.Node;

/// <summary>The node cannot start or had to stop: bad options, database, seeds or name. The message is the one line the user sees.</summary>
public sealed class NodeStartException(string message) : Exception(message);

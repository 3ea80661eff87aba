namespace Tern.Host.Qmp;

/// <summary>The -qmp endpoint cannot be listened on; the message names it and says why.</summary>
public sealed class QmpBindException(string message) : Exception(message);

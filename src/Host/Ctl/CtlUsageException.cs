namespace Tern.Host.Ctl;

/// <summary>An option <c>tern ctl</c> cannot make sense of, found before it calls the API: one line saying which and why.</summary>
public sealed class CtlUsageException(string message) : Exception(message);

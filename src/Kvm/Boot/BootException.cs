namespace Tern.Kvm.Boot;

/// <summary>A kernel, initrd or boot setting that cannot be booted; the message names the culprit.</summary>
public sealed class BootException(string message) : Exception(message);

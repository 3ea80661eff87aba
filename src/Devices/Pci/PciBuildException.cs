namespace Tern.Devices.Pci;

/// <summary>
/// The PCI topology or a device on it cannot be built as configured (an address taken twice, a
/// drive missing or unreadable, a dangling drive= reference). The message is one line naming the culprit.
/// </summary>
public sealed class PciBuildException(string message, Exception? inner = null) : Exception(message, inner);

namespace Tern.Devices.Pci;

/// <summary>Saved device state that this device cannot take (wrong version, size or values).</summary>
public sealed class DeviceStateException(string message) : Exception(message);

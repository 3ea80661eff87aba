namespace Tern.Devices.Legacy;

/// <summary>
/// A saved device state was refused on restore: it came from another host (or a corrupted
/// stream) and holds a value the device could never have produced.
/// </summary>
public sealed class DeviceStateException(string device, string problem)
    : Exception($"{device} state: {problem}")
{
    public string Device { get; } = device;
}

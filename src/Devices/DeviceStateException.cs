namespace Tern.Devices;

/// <summary>
/// A saved device state was refused on restore: it came from another host (or a corrupted
/// stream) and holds a version or value this device could never have produced.
/// </summary>
public sealed class DeviceStateException : Exception
{
    public DeviceStateException(string device, string problem) : base($"{device} state: {problem}") => Device = device;

    public DeviceStateException(string message) : base(message) => Device = "";

    public string Device { get; }
}

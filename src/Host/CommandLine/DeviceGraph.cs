using Tern.Devices.Config;

namespace Tern.Host.CommandLine;

/// <summary>Cross-checks of drives and devices: unique ids, every drive= resolves, one device per drive and per address.</summary>
internal static class DeviceGraph
{
    public static void Validate(IReadOnlyList<DriveConfig> drives, IReadOnlyList<BlockDeviceConfig> devices)
    {
        var driveIds = new HashSet<string>();
        foreach (var drive in drives)
        {
            if (!driveIds.Add(drive.Id)) throw new CommandLineException($"duplicate drive id '{drive.Id}'");
        }

        var deviceIds = new HashSet<string>();
        var userOfDrive = new Dictionary<string, string>();
        var deviceAt = new Dictionary<(string Bus, PciAddress Address), string>();
        foreach (var device in devices)
        {
            if (!deviceIds.Add(device.Id)) throw new CommandLineException($"duplicate device id '{device.Id}'");
            if (!driveIds.Contains(device.DriveId))
                throw new CommandLineException($"device '{device.Id}' names drive '{device.DriveId}', which no -drive defines");
            if (userOfDrive.TryGetValue(device.DriveId, out var user))
                throw new CommandLineException($"drive '{device.DriveId}' is used by both device '{user}' and device '{device.Id}'");
            userOfDrive[device.DriveId] = device.Id;
            if (deviceAt.TryGetValue((device.Bus, device.Address), out var occupant))
                throw new CommandLineException(
                    $"devices '{occupant}' and '{device.Id}' are both at {device.Bus} addr {device.Address}");
            deviceAt[(device.Bus, device.Address)] = device.Id;
        }
    }
}

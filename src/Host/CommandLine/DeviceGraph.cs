using Tern.Devices.Config;

namespace Tern.Host.CommandLine;

/// <summary>
/// Cross-checks of drives, netdevs and devices: unique ids, every drive= and netdev= resolves,
/// one device per drive, per netdev and per address.
/// </summary>
internal static class DeviceGraph
{
    public static void Validate(IReadOnlyList<DriveConfig> drives, IReadOnlyList<BlockDeviceConfig> devices,
        IReadOnlyList<NetdevConfig>? netdevs = null, IReadOnlyList<NetDeviceConfig>? nics = null)
    {
        netdevs ??= [];
        nics ??= [];
        var driveIds = UniqueIds(drives.Select(d => d.Id), "drive");
        var netdevIds = UniqueIds(netdevs.Select(n => n.Id), "netdev");
        var ifnames = new Dictionary<string, string>();
        foreach (var n in netdevs)
        {
            if (ifnames.TryGetValue(n.IfName, out var other))
                throw new CommandLineException($"netdevs '{EchoedText.Clip(other)}' and '{EchoedText.Clip(n.Id)}' both use TAP '{EchoedText.Clip(n.IfName)}'");
            ifnames[n.IfName] = n.Id;
        }

        var deviceIds = new HashSet<string>();
        var userOf = new Dictionary<string, string>();
        var deviceAt = new Dictionary<string, string>();
        void Place(string id, string bus, PciAddress address)
        {
            if (!deviceIds.Add(id)) throw new CommandLineException($"duplicate device id '{EchoedText.Clip(id)}'");
            string place = $"{bus} addr {address}";
            if (deviceAt.TryGetValue(place, out var occupant))
                throw new CommandLineException($"devices '{EchoedText.Clip(occupant)}' and '{EchoedText.Clip(id)}' are both at {place}");
            deviceAt[place] = id;
        }
        void Use(string kind, string backend, string id)
        {
            if (userOf.TryGetValue($"{kind}/{backend}", out var user))
                throw new CommandLineException($"{kind} '{EchoedText.Clip(backend)}' is used by both device '{EchoedText.Clip(user)}' and device '{EchoedText.Clip(id)}'");
            userOf[$"{kind}/{backend}"] = id;
        }

        foreach (var device in devices)
        {
            if (!driveIds.Contains(device.DriveId))
                throw new CommandLineException($"device '{EchoedText.Clip(device.Id)}' names drive '{EchoedText.Clip(device.DriveId)}', which no -drive defines");
            Use("drive", device.DriveId, device.Id);
            Place(device.Id, device.Bus, device.Address);
        }
        foreach (var nic in nics)
        {
            if (!netdevIds.Contains(nic.NetdevId))
                throw new CommandLineException($"device '{EchoedText.Clip(nic.Id)}' names netdev '{EchoedText.Clip(nic.NetdevId)}', which no -netdev defines");
            Use("netdev", nic.NetdevId, nic.Id);
            Place(nic.Id, nic.Bus, nic.Address);
        }
    }

    private static HashSet<string> UniqueIds(IEnumerable<string> ids, string kind)
    {
        var seen = new HashSet<string>();
        foreach (var id in ids)
            if (!seen.Add(id)) throw new CommandLineException($"duplicate {kind} id '{EchoedText.Clip(id)}'");
        return seen;
    }
}

using Tern.Devices.Config;

namespace Tern.Devices.Pci;

/// <summary>
/// The machine's own check of its network configuration (the command line checks it too, but the
/// machine does not trust it): unique ids, every netdev= resolves, one NIC per netdev, one netdev per TAP.
/// </summary>
internal static class NetValidation
{
    public static Dictionary<string, NetdevConfig> Check(VmConfig config, string rootBus)
    {
        var netdevs = new Dictionary<string, NetdevConfig>(StringComparer.Ordinal);
        var ifnames = new HashSet<string>(StringComparer.Ordinal);
        foreach (var n in config.Netdevs)
        {
            if (!netdevs.TryAdd(n.Id, n)) throw new PciBuildException($"netdev id '{n.Id}' is defined twice");
            if (!ifnames.Add(n.IfName)) throw new PciBuildException($"TAP '{n.IfName}' is used by two netdevs");
        }

        var ids = config.BlockDevices.Select(d => d.Id).ToHashSet(StringComparer.Ordinal);
        var users = new Dictionary<string, string>(StringComparer.Ordinal);
        foreach (var dev in config.NetDevices)
        {
            if (!ids.Add(dev.Id)) throw new PciBuildException($"device id '{dev.Id}' is used twice");
            if (dev.Bus != rootBus) throw new PciBuildException($"device '{dev.Id}': bus '{dev.Bus}' does not exist (only {rootBus})");
            if (!netdevs.ContainsKey(dev.NetdevId)) throw new PciBuildException($"device '{dev.Id}': netdev '{dev.NetdevId}' is not defined by any -netdev");
            if (users.TryGetValue(dev.NetdevId, out var other)) throw new PciBuildException($"netdev '{dev.NetdevId}' is used by both '{other}' and '{dev.Id}'");
            users[dev.NetdevId] = dev.Id;
            if (dev.Mac.IsMulticast) throw new PciBuildException($"device '{dev.Id}': MAC {dev.Mac} is a multicast address");
        }
        return netdevs;
    }
}

using Tern.Devices.Config;

namespace Tern.Devices.Virtio.Net;

/// <summary>struct virtio_net_config up to its status field: mac[6], status (little-endian u16).</summary>
public static class NetConfigSpace
{
    public const int Size = 8;

    public static byte[] Build(MacAddress mac, bool linkUp)
    {
        var config = new byte[Size];
        mac.CopyTo(config);
        config[6] = linkUp ? (byte)NetStatus.LinkUp : (byte)0;
        return config;
    }
}

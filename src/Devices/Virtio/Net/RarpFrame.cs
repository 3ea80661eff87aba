using System.Buffers.Binary;
using Tern.Devices.Config;

namespace Tern.Devices.Virtio.Net;

/// <summary>
/// The gratuitous RARP frame a NIC's new host sends after a live migration so that switches learn
/// its new port (what QEMU's announce-self sends): broadcast, ethertype 0x8035, a "reverse request"
/// (op 3) naming the MAC as sender and target, no IP addresses, padded to the 60-byte minimum.
/// </summary>
public static class RarpFrame
{
    public const ushort EtherType = 0x8035;
    public const int Length = 60;
    private const ushort OpReverseRequest = 3;

    public static byte[] Build(MacAddress mac)
    {
        var f = new byte[Length];
        f.AsSpan(0, 6).Fill(0xff);                                 // destination: broadcast
        mac.CopyTo(f.AsSpan(6));                                  // source
        BinaryPrimitives.WriteUInt16BigEndian(f.AsSpan(12), EtherType);
        BinaryPrimitives.WriteUInt16BigEndian(f.AsSpan(14), 1);    // hardware type: Ethernet
        BinaryPrimitives.WriteUInt16BigEndian(f.AsSpan(16), 0x0800); // protocol type: IPv4
        f[18] = MacAddress.Length;
        f[19] = 4;
        BinaryPrimitives.WriteUInt16BigEndian(f.AsSpan(20), OpReverseRequest);
        mac.CopyTo(f.AsSpan(22));                                 // sender hardware address; sender IP 0
        mac.CopyTo(f.AsSpan(32));                                 // target hardware address; target IP 0
        return f;
    }
}

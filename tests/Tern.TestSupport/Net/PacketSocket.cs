using System.Buffers.Binary;
using System.Net;
using System.Net.Sockets;

namespace Tern.TestSupport.Net;

/// <summary>
/// An AF_PACKET socket bound to one interface: the host's end of a TAP, or any interface a guest's
/// frames reach. What the guest sends through Tern arrives here; what is sent here goes to Tern (and on to the guest).
/// </summary>
public sealed class PacketSocket : IDisposable
{
    private const int EthPAll = 0x0003;
    private readonly Socket _socket;

    private const int SolSocket = 1, SoRcvBufForce = 33;

    public PacketSocket(TapInterface tap, int receiveBuffer = 64 << 20) : this(tap.Index, receiveBuffer)
    {
    }

    /// <summary>On the interface of index <paramref name="ifindex"/> in the network namespace of the calling thread.</summary>
    public PacketSocket(int ifindex, int receiveBuffer = 64 << 20)
    {
        _socket = new Socket(AddressFamily.Packet, SocketType.Raw, (ProtocolType)IPAddress.HostToNetworkOrder((short)EthPAll));
        // Root may exceed rmem_max: a burst from the guest must not overflow the socket while the test reads.
        _socket.SetRawSocketOption(SolSocket, SoRcvBufForce, BitConverter.GetBytes(receiveBuffer));
        _socket.Bind(new LinkEndPoint(ifindex));
    }

    public void Send(ReadOnlySpan<byte> frame) => _socket.Send(frame);

    /// <summary>The next frame that satisfies <paramref name="accept"/>, or null when none came in time.</summary>
    public byte[]? Receive(TimeSpan timeout, Func<byte[], bool>? accept = null)
    {
        var deadline = DateTime.UtcNow + timeout;
        var buffer = new byte[65536];
        while (true)
        {
            var left = deadline - DateTime.UtcNow;
            if (left <= TimeSpan.Zero || !_socket.Poll(left, SelectMode.SelectRead)) return null;
            int n = _socket.Receive(buffer);
            var frame = buffer[..n];
            if (accept is null || accept(frame)) return frame;
        }
    }

    public void Dispose() => _socket.Dispose();

    /// <summary>struct sockaddr_ll for bind: family, protocol (network order), interface index.</summary>
    private sealed class LinkEndPoint(int ifindex) : EndPoint
    {
        public override AddressFamily AddressFamily => AddressFamily.Packet;

        public override SocketAddress Serialize()
        {
            var address = new SocketAddress(AddressFamily.Packet, 20);
            var bytes = address.Buffer.Span;
            BinaryPrimitives.WriteUInt16BigEndian(bytes[2..], EthPAll);
            BinaryPrimitives.WriteInt32LittleEndian(bytes[4..], ifindex);
            return address;
        }

        public override EndPoint Create(SocketAddress socketAddress) => this;
    }
}

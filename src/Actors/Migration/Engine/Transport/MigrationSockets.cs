using System.Net;
using System.Net.Sockets;
using Tern.Devices.Config;

namespace Tern.Actors.Migration.Engine.Transport;

/// <summary>
/// The raw sockets a migration's pages travel on: TCP (IPv4 or IPv6) or a UNIX socket, as
/// `migrate` and `-incoming` name them (a path starting with '@' is an abstract socket). Large buffers and no Nagle: the stream is bulk data
/// followed by small replies that must not wait.
/// </summary>
public static class MigrationSockets
{
    private const int BufferBytes = 4 << 20;

    public static EndPoint ToEndPoint(MigrationEndpoint endpoint) => endpoint.Transport switch
    {
        MigrationTransport.Tcp => new IPEndPoint(IPAddress.Parse(endpoint.PathOrHost), endpoint.Port),
        MigrationTransport.Unix when AbstractSocketPeers.IsAbstract(endpoint.PathOrHost) => new UnixDomainSocketEndPoint(AbstractSocketPeers.KernelName(endpoint.PathOrHost)),
        MigrationTransport.Unix => new UnixDomainSocketEndPoint(endpoint.PathOrHost),
        _ => throw new MigrationRefusedException($"'{EchoedText.Clip(endpoint.ToString())}' is not a live-migration transport (tcp: or unix:)"),
    };

    private static Socket NewSocket(EndPoint ep)
    {
        var socket = ep is UnixDomainSocketEndPoint
            ? new Socket(AddressFamily.Unix, SocketType.Stream, ProtocolType.Unspecified)
            : new Socket(ep.AddressFamily, SocketType.Stream, ProtocolType.Tcp) { NoDelay = true };
        socket.SendBufferSize = BufferBytes;
        socket.ReceiveBufferSize = BufferBytes;
        return socket;
    }

    /// <summary>Connects to a listening destination; a refusal or timeout is a <see cref="MigrationRefusedException"/>.</summary>
    public static Socket Connect(MigrationEndpoint endpoint, TimeSpan timeout)
    {
        var ep = ToEndPoint(endpoint);
        var socket = NewSocket(ep);
        try
        {
            using var cts = new CancellationTokenSource(timeout);
            socket.ConnectAsync(ep, cts.Token).AsTask().GetAwaiter().GetResult();
            return socket;
        }
        catch (Exception e) when (e is SocketException or OperationCanceledException)
        {
            socket.Dispose();
            string why = e switch
            {
                // connect(2) says ENOENT for a missing socket file, which .NET words as an address problem.
                SocketException { SocketErrorCode: SocketError.AddressNotAvailable } when ep is UnixDomainSocketEndPoint => "no such socket",
                SocketException s => s.Message,
                _ => "timed out",
            };
            throw new MigrationRefusedException($"cannot connect to {endpoint}: {why}");
        }
    }

    /// <summary>Binds and listens for one incoming migration (and its data channels); a stale UNIX socket file is replaced.</summary>
    public static Socket Listen(MigrationEndpoint endpoint)
    {
        var ep = ToEndPoint(endpoint);
        if (IsFile(endpoint) && File.Exists(endpoint.PathOrHost)) RemoveIfStale(endpoint.PathOrHost);
        var socket = NewSocket(ep);
        try
        {
            if (ep is IPEndPoint) socket.SetSocketOption(SocketOptionLevel.Socket, SocketOptionName.ReuseAddress, true);
            socket.Bind(ep);
            socket.Listen(1 + Wire.MigrationStreamFormat.MaxDataChannels); // the main socket and multifd's data channels
            return socket;
        }
        catch (SocketException e)
        {
            socket.Dispose();
            throw new MigrationRefusedException($"cannot listen on {endpoint}: {e.Message}");
        }
    }

    private static void RemoveIfStale(string path)
    {
        using var probe = new Socket(AddressFamily.Unix, SocketType.Stream, ProtocolType.Unspecified);
        try
        {
            probe.Connect(new UnixDomainSocketEndPoint(path));
        }
        catch (SocketException)
        {
            File.Delete(path); // nobody answers: left behind by a dead process
            return;
        }
        throw new MigrationRefusedException($"{path} is in use by a running process");
    }

    /// <summary>Closes the listener and removes a UNIX socket file it created.</summary>
    public static void CloseListener(Socket listener, MigrationEndpoint endpoint)
    {
        listener.Dispose();
        if (IsFile(endpoint)) File.Delete(endpoint.PathOrHost);
    }

    /// <summary>A UNIX socket with a file (not an abstract one, <see cref="AbstractSocketPeers"/>).</summary>
    private static bool IsFile(MigrationEndpoint endpoint) =>
        endpoint.Transport == MigrationTransport.Unix && !AbstractSocketPeers.IsAbstract(endpoint.PathOrHost);
}

using System.Net;
using System.Net.Sockets;
using Tern.Devices.Config;
using Tern.Kvm;

namespace Tern.Host.Qmp;

/// <summary>
/// The listening socket of <c>-qmp</c>. Binding happens at once and fails with a
/// <see cref="QmpBindException"/>, so a bad endpoint stops tern before the VM starts; clients may
/// connect from the moment this returns (the kernel queues them until they are accepted).
/// <list type="bullet">
/// <item>unix:PATH - the socket file gets mode 0600 before anyone can connect. A socket file
/// nobody listens on (left by a process that died) is replaced; a live one, or a path that is
/// not a socket, is an error. Dispose removes the file, if it is still the one bound here.</item>
/// <item>tcp:IP:PORT - IPv4, or IPv6 only (no dual-stack); a port another process listens on is an error.</item>
/// </list>
/// </summary>
public sealed class QmpListener : IDisposable
{
    private const int Backlog = 16;
    private const UnixFileMode SocketMode = UnixFileMode.UserRead | UnixFileMode.UserWrite;

    private readonly Socket _socket;
    private readonly string? _path;
    private readonly HostFileStatus? _boundFile;
    private int _disposed;

    private QmpListener(Socket socket, string description, string? path, HostFileStatus? boundFile)
    {
        _socket = socket;
        Description = description;
        _path = path;
        _boundFile = boundFile;
    }

    /// <summary>The endpoint as the command line spells it (<c>unix:/run/vm.sock</c>, <c>tcp:[::1]:4444</c>).</summary>
    public string Description { get; }

    public EndPoint LocalEndPoint => _socket.LocalEndPoint!;

    public static QmpListener Bind(QmpEndpoint endpoint) => endpoint.Transport switch
    {
        QmpTransport.Unix => BindUnix(endpoint.PathOrHost),
        _ => BindTcp(endpoint.PathOrHost, endpoint.Port),
    };

    public ValueTask<Socket> AcceptAsync(CancellationToken cancel) => _socket.AcceptAsync(cancel);

    private static QmpListener BindUnix(string path)
    {
        string description = $"unix:{path}";
        ReplaceStaleSocket(path);
        var socket = new Socket(AddressFamily.Unix, SocketType.Stream, ProtocolType.Unspecified);
        bool bound = false;
        try
        {
            socket.Bind(new UnixDomainSocketEndPoint(path));
            bound = true;
            // bind() created the file with the umask's mode; nobody can connect before listen().
            if (!OperatingSystem.IsWindows()) File.SetUnixFileMode(path, SocketMode); // always taken: tern runs on Linux
            var facts = HostPath.Stat(path, followLinks: false);
            socket.Listen(Backlog);
            return new QmpListener(socket, description, path, facts);
        }
        catch (Exception e) when (e is SocketException or IOException or UnauthorizedAccessException)
        {
            socket.Dispose();
            if (bound) TryDelete(path);
            throw new QmpBindException($"cannot listen on QMP socket '{EchoedText.Clip(path)}': {Reason(e)}");
        }
    }

    /// <summary>Removes a socket file left by a dead process; refuses a live socket or a file that is not a socket.</summary>
    private static void ReplaceStaleSocket(string path)
    {
        HostFileStatus existing;
        try
        {
            existing = HostPath.Stat(path, followLinks: false);
        }
        catch (IOException e)
        {
            throw new QmpBindException($"cannot check QMP socket path '{EchoedText.Clip(path)}': {e.Message}");
        }
        if (existing.Kind == HostFileKind.Missing) return;
        if (existing.Kind != HostFileKind.Socket) throw new QmpBindException($"QMP socket path '{EchoedText.Clip(path)}' exists and is not a socket");

        using (var probe = new Socket(AddressFamily.Unix, SocketType.Stream, ProtocolType.Unspecified) { Blocking = false })
        {
            try
            {
                probe.Connect(new UnixDomainSocketEndPoint(path));
                throw new QmpBindException($"QMP socket '{EchoedText.Clip(path)}' is in use by another process");
            }
            catch (SocketException e) when (e.SocketErrorCode is SocketError.WouldBlock or SocketError.TryAgain or SocketError.InProgress)
            {
                throw new QmpBindException($"QMP socket '{EchoedText.Clip(path)}' is in use by another process");
            }
            catch (SocketException e) when (e.SocketErrorCode == SocketError.ConnectionRefused)
            {
                // Nobody listens: a stale file from a process that died.
            }
            catch (SocketException e)
            {
                throw new QmpBindException($"cannot check QMP socket '{EchoedText.Clip(path)}': {e.SocketErrorCode}");
            }
        }
        try
        {
            File.Delete(path);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            throw new QmpBindException($"cannot replace stale QMP socket '{EchoedText.Clip(path)}': {e.Message}");
        }
    }

    private static QmpListener BindTcp(string host, int port)
    {
        var address = IPAddress.Parse(host);
        string description = address.AddressFamily == AddressFamily.InterNetworkV6 ? $"tcp:[{host}]:{port}" : $"tcp:{host}:{port}";
        var socket = new Socket(address.AddressFamily, SocketType.Stream, ProtocolType.Tcp);
        try
        {
            if (address.AddressFamily == AddressFamily.InterNetworkV6) socket.DualMode = false;
            EnableAddressReuse(socket);
            socket.Bind(new IPEndPoint(address, port));
            socket.Listen(Backlog);
            return new QmpListener(socket, description, null, null);
        }
        catch (SocketException e)
        {
            socket.Dispose();
            throw new QmpBindException(e.SocketErrorCode == SocketError.AddressAlreadyInUse
                ? $"QMP address {description} is already in use"
                : $"cannot listen on QMP address {description}: {Reason(e)}");
        }
    }

    /// <summary>
    /// SO_REUSEADDR alone: a restarted tern binds even while the previous one's connections sit in
    /// TIME_WAIT. (.NET's ReuseAddress option also sets SO_REUSEPORT, which would let two processes
    /// listen on one port.)
    /// </summary>
    private static void EnableAddressReuse(Socket socket)
    {
        const int SOL_SOCKET = 1, SO_REUSEADDR = 2;
        socket.SetRawSocketOption(SOL_SOCKET, SO_REUSEADDR, BitConverter.GetBytes(1));
    }

    private static string Reason(Exception e) => e is SocketException s ? s.SocketErrorCode.ToString() : e.Message;

    /// <summary>Stops listening and removes the socket file if it is still the one this listener bound.</summary>
    public void Dispose()
    {
        if (Interlocked.Exchange(ref _disposed, 1) != 0) return;
        _socket.Dispose();
        if (_path is null || _boundFile is not { } bound) return;
        try
        {
            var now = HostPath.Stat(_path, followLinks: false);
            if (now.Kind != HostFileKind.Missing && now.Device == bound.Device && now.Inode == bound.Inode) TryDelete(_path);
        }
        catch (IOException)
        {
        }
    }

    private static void TryDelete(string path)
    {
        try
        {
            File.Delete(path);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
        }
    }
}

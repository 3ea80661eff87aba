using System.Net.Sockets;
using Tern.Devices.Config;

namespace Tern.Actors.Migration.Engine.Transport;

/// <summary>
/// Carries the connections of one cluster migration between a VM process, which holds no
/// credentials, and the network, where the node's certificate secures them. A VM process of a
/// TLS cluster migrates in plain over a local abstract socket (<see cref="AbstractSocketPeers"/>),
/// and its node runs the TLS:
/// <list type="bullet">
/// <item><see cref="Incoming"/>, on the destination host: listens on the TCP port the source is
/// told, completes the server handshake on each connection (a client certificate from the
/// cluster's CA required; a plain peer is told why and refused, as by a TLS destination), then
/// connects to the VM process's abstract socket and relays.</item>
/// <item><see cref="Outgoing"/>, on the source host: listens on an abstract socket the VM process
/// migrates to; for each connection it makes (the main one, then any multifd data channels) it
/// connects to the destination and completes the client handshake (the certificate must name the
/// destination's address), then relays. A destination it cannot reach or trust is told to the VM
/// process as a back-channel Error frame naming why, so the migration fails with that reason and
/// the guest stays.</item>
/// </list>
/// Bytes pass through unchanged, so the stream format is the VM processes' own; one end's
/// hang-up is passed on as the other's (half-close first, so a reply in flight still arrives).
/// Shared RAM cannot cross: descriptors do not pass a relay, and cluster migrations between
/// hosts never offer them.
/// </summary>
public sealed class MigrationTlsRelay : IDisposable
{
    private static readonly TimeSpan ConnectTimeout = TimeSpan.FromSeconds(10);
    private const int BufferBytes = 1 << 20;

    private readonly Socket _listener;
    private readonly Func<Socket, (End Vm, End Network)?> _open;
    private readonly Action<string> _notice;
    private readonly List<(End, End)> _pairs = [];
    private readonly CancellationTokenSource _stop = new();
    private readonly MigrationEndpoint _listening;
    private int _disposed;

    /// <summary>One side of a relayed connection: the stream to copy, and the socket under it to half-close.</summary>
    private sealed record End(Stream Stream, Socket Socket)
    {
        public static End Of(MigrationConnection c) => new(c.Stream, c.Socket);
        public static End Plain(Socket s) => new(new NetworkStream(s, ownsSocket: true), s);
    }

    private MigrationTlsRelay(MigrationEndpoint listening, Func<Socket, (End Vm, End Network)?> open, Action<string> notice)
    {
        _listening = listening;
        _listener = MigrationSockets.Listen(listening);
        _open = open;
        _notice = notice;
        _ = Task.Run(AcceptLoopAsync);
    }

    /// <summary>Where it listens: the TCP endpoint the source is told, or the abstract socket the VM process migrates to.</summary>
    public MigrationEndpoint Endpoint => _listening;

    /// <summary>The destination's relay: TLS from the network at <paramref name="network"/>, plain into the VM process at <paramref name="vm"/>.</summary>
    public static MigrationTlsRelay Incoming(MigrationEndpoint network, MigrationTls tls, MigrationEndpoint vm, Action<string> notice) =>
        new(network, accepted =>
        {
            MigrationConnection secure;
            try
            {
                secure = MigrationConnection.Accept(accepted, ConnectTimeout, tls);
            }
            catch (MigrationRefusedException e)
            {
                notice($"refused a connection to the migration relay at {network}: {e.Message}");
                return null;
            }
            try
            {
                return (End.Plain(MigrationSockets.Connect(vm, ConnectTimeout)), End.Of(secure));
            }
            catch (MigrationRefusedException e)
            {
                secure.Dispose();
                notice($"the migration relay at {network} cannot reach its VM process: {e.Message}");
                return null;
            }
        }, notice);

    /// <summary>The source's relay: plain from the VM process at <paramref name="vm"/>, TLS to <paramref name="destination"/>.</summary>
    public static MigrationTlsRelay Outgoing(MigrationEndpoint vm, MigrationEndpoint destination, MigrationTls tls, Action<string> notice) =>
        new(vm, accepted =>
        {
            var plain = End.Plain(accepted);
            try
            {
                return (plain, End.Of(MigrationConnection.Connect(destination, ConnectTimeout, tls)));
            }
            catch (MigrationRefusedException e)
            {
                MigrationConnection.TellAndClose(accepted, (NetworkStream)plain.Stream, e.Message);
                return null;
            }
        }, notice);

    /// <summary>Takes no further connections; those relayed go on until their ends hang up.</summary>
    public void StopAccepting() => _listener.Dispose();

    private async Task AcceptLoopAsync()
    {
        while (!_stop.IsCancellationRequested)
        {
            Socket accepted;
            try
            {
                accepted = await _listener.AcceptAsync(_stop.Token);
            }
            catch (Exception e) when (e is SocketException or ObjectDisposedException or OperationCanceledException)
            {
                return; // stopped
            }
            // Handshakes block: each connection on a thread of the pool, so one slow peer holds up no other.
            _ = Task.Run(() => Relay(accepted));
        }
    }

    private void Relay(Socket accepted)
    {
        if (_open(accepted) is not { } pair) return;
        var (vm, network) = pair;
        lock (_pairs)
        {
            if (_disposed != 0)
            {
                vm.Stream.Dispose();
                network.Stream.Dispose();
                return;
            }
            _pairs.Add((vm, network));
        }
        var up = PumpAsync(vm, network);
        var down = PumpAsync(network, vm);
        _ = Task.WhenAll(up, down).ContinueWith(_ =>
        {
            vm.Stream.Dispose();
            network.Stream.Dispose();
            lock (_pairs) _pairs.Remove((vm, network));
        });
    }

    /// <summary>Copies until <paramref name="from"/> ends, then half-closes <paramref name="to"/>; a failure closes both, which ends the other direction too.</summary>
    private async Task PumpAsync(End from, End to)
    {
        var buffer = new byte[BufferBytes];
        try
        {
            int n;
            while ((n = await from.Stream.ReadAsync(buffer, _stop.Token)) > 0) await to.Stream.WriteAsync(buffer.AsMemory(0, n), _stop.Token);
            if (to.Stream is System.Net.Security.SslStream tls) await tls.ShutdownAsync(); // close_notify first
            to.Socket.Shutdown(SocketShutdown.Send);
        }
        catch (Exception e) when (e is IOException or SocketException or ObjectDisposedException or OperationCanceledException
            or System.Security.Authentication.AuthenticationException or InvalidOperationException)
        {
            from.Stream.Dispose();
            to.Stream.Dispose();
        }
    }

    /// <summary>Stops listening and cuts every connection still relayed.</summary>
    public void Dispose()
    {
        if (Interlocked.Exchange(ref _disposed, 1) != 0) return;
        _stop.Cancel();
        _listener.Dispose();
        lock (_pairs)
        {
            foreach (var (vm, network) in _pairs)
            {
                vm.Stream.Dispose();
                network.Stream.Dispose();
            }
            _pairs.Clear();
        }
        MigrationSockets.CloseListener(_listener, _listening);
    }
}

using System.Net;
using System.Net.Sockets;

namespace Tern.Actors.Tests.Support;

/// <summary>
/// A TCP relay on loopback that forwards one connection both ways until <see cref="Stall"/>; from
/// then on it reads nothing and closes nothing, as a link that went dark: the sender's buffers
/// fill and its writes block, as they do when a host's network is cut mid-migration.
/// </summary>
internal sealed class StallingProxy : IDisposable
{
    private readonly TcpListener _listener = new(IPAddress.Loopback, 0);
    private readonly string _targetHost;
    private readonly int _targetPort;
    private readonly CancellationTokenSource _stall = new();
    private readonly List<Socket> _sockets = [];

    public StallingProxy(string targetHost, int targetPort)
    {
        (_targetHost, _targetPort) = (targetHost, targetPort);
        _listener.Start();
        Task.Run(AcceptOne);
    }

    public int Port => ((IPEndPoint)_listener.LocalEndpoint).Port;

    public void Stall() => _stall.Cancel();

    private async Task AcceptOne()
    {
        var client = await _listener.AcceptSocketAsync();
        var server = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp);
        await server.ConnectAsync(_targetHost, _targetPort);
        lock (_sockets) _sockets.AddRange([client, server]);
        _ = Pump(client, server);
        _ = Pump(server, client);
    }

    private async Task Pump(Socket from, Socket to)
    {
        var buffer = new byte[64 * 1024];
        try
        {
            while (!_stall.IsCancellationRequested)
            {
                int n = await from.ReceiveAsync(buffer, SocketFlags.None, _stall.Token);
                if (n == 0) return;
                await to.SendAsync(buffer.AsMemory(0, n), SocketFlags.None, _stall.Token);
            }
        }
        catch (Exception e) when (e is OperationCanceledException or SocketException or ObjectDisposedException) { }
    }

    public void Dispose()
    {
        _stall.Cancel();
        _listener.Stop();
        lock (_sockets) foreach (var s in _sockets) s.Dispose();
    }
}

using System.Net.Sockets;
using Akka.Actor;
using Tern.Actors.Vm;
using Tern.Devices.Config;

namespace Tern.Host.Qmp;

/// <summary>
/// The QMP server of one VM: accepts clients on the <c>-qmp</c> endpoint, sends each the
/// greeting, answers its requests through the <see cref="QmpCommandTable"/>, and fans the VM's
/// events out to all of them. The sequence is <see cref="Bind"/> (before the VM exists, so a bad
/// endpoint fails first), <see cref="Attach"/> (before the VM boots, so no event is missed),
/// <see cref="Start"/> (once it has booted), then <see cref="StopAsync"/> when the VM has ended:
/// the last events (SHUTDOWN) and replies (quit's) are written, the connections close, and the
/// socket file is removed.
/// </summary>
public sealed class QmpServer : IAsyncDisposable
{
    /// <summary>Clients beyond this many are closed as soon as they are accepted.</summary>
    public const int MaxClients = 64;

    private static readonly TimeSpan DrainTimeout = TimeSpan.FromSeconds(2);

    private readonly QmpListener _listener;
    private readonly HashSet<QmpConnection> _connections = [];
    private readonly Lock _gate = new();
    private readonly CancellationTokenSource _stopAccepting = new();
    private Task _acceptLoop = Task.CompletedTask;
    private IActorRef? _relay;
    private IActorRef? _vm;
    private int _stopped;

    private QmpServer(QmpListener listener) => _listener = listener;

    public string Description => _listener.Description;

    public System.Net.EndPoint LocalEndPoint => _listener.LocalEndPoint;

    /// <summary>Listens on <paramref name="endpoint"/> now; throws <see cref="QmpBindException"/>.</summary>
    public static QmpServer Bind(QmpEndpoint endpoint) => new(QmpListener.Bind(endpoint));

    /// <summary>
    /// Subscribes to <paramref name="vm"/>'s events. Call it before sending Boot, from the same
    /// thread: the subscription then reaches the VmActor first, and no event is missed.
    /// </summary>
    public void Attach(ActorSystem system, IActorRef vm)
    {
        _vm = vm;
        _relay = system.ActorOf(QmpEventRelay.Props(Broadcast), $"qmp-events-{vm.Path.Name}");
        vm.Tell(new VmProtocol.Subscribe(_relay));
    }

    /// <summary>
    /// Starts greeting and serving clients with <paramref name="commands"/> (call it once the VM has
    /// booted, so the first query-status already says "running"; clients that connected earlier
    /// wait in the listen queue).
    /// </summary>
    public void Start(QmpCommandTable commands)
    {
        var dispatcher = new QmpDispatcher(commands);
        _acceptLoop = Task.Run(() => AcceptLoopAsync(dispatcher));
    }

    private async Task AcceptLoopAsync(QmpDispatcher dispatcher)
    {
        byte[] greeting = QmpWire.Greeting(QmpVersion.Tern);
        while (!_stopAccepting.IsCancellationRequested)
        {
            Socket client;
            try
            {
                client = await _listener.AcceptAsync(_stopAccepting.Token);
            }
            catch (Exception e) when (e is OperationCanceledException or ObjectDisposedException)
            {
                return;
            }
            catch (SocketException)
            {
                // Out of descriptors or an aborted handshake: keep serving the others.
                await Task.Delay(100).ConfigureAwait(false);
                continue;
            }

            if (client.ProtocolType == ProtocolType.Tcp) client.NoDelay = true; // a reply must not wait for an ACK
            var connection = new QmpConnection(client, dispatcher);
            lock (_gate)
            {
                if (_connections.Count >= MaxClients || _stopAccepting.IsCancellationRequested)
                {
                    client.Dispose();
                    continue;
                }
                _connections.Add(connection);
                connection.Start(greeting);
            }
            _ = connection.Completion.ContinueWith(_ => Forget(connection), TaskScheduler.Default);
        }
    }

    private void Forget(QmpConnection connection)
    {
        lock (_gate) _connections.Remove(connection);
        // Tell the operator when a client was cut off for not reading (not when tern itself is exiting).
        if (connection.AbortReason is { } reason && Volatile.Read(ref _stopped) == 0)
            Console.Error.WriteLine($"tern: QMP client on {Description} disconnected: {reason}");
    }

    /// <summary>Queues an event line to every client; never blocks (see <see cref="QmpOutbox"/>).</summary>
    private void Broadcast(byte[] line)
    {
        QmpConnection[] clients;
        lock (_gate) clients = [.. _connections];
        foreach (var c in clients) c.PostEvent(line);
    }

    /// <summary>
    /// Stops listening and removes the socket file, queues the events the VM published before
    /// now, lets each client's current request finish, writes what is queued (at most a couple
    /// of seconds for slow clients), and closes every connection.
    /// </summary>
    public async Task StopAsync()
    {
        if (Interlocked.Exchange(ref _stopped, 1) != 0) return;
        _stopAccepting.Cancel();
        _listener.Dispose();
        await _acceptLoop.ConfigureAwait(false);

        if (_relay is not null)
        {
            try
            {
                await _relay.Ask<QmpEventRelay.Flushed>(new QmpEventRelay.Flush(), DrainTimeout).ConfigureAwait(false);
            }
            catch (Exception e) when (e is AskTimeoutException or TaskCanceledException)
            {
                // The actor system is going away; there is nothing left to flush.
            }
        }

        QmpConnection[] clients;
        lock (_gate) clients = [.. _connections];
        foreach (var c in clients) c.StopReading();
        try
        {
            await Task.WhenAll(clients.Select(c => c.Completion)).WaitAsync(DrainTimeout).ConfigureAwait(false);
        }
        catch (TimeoutException)
        {
            foreach (var c in clients) c.Abort("tern is exiting");
            await Task.WhenAll(clients.Select(c => c.Completion)).ConfigureAwait(false);
        }

        if (_relay is not null && _vm is not null)
        {
            _vm.Tell(new VmProtocol.Unsubscribe(_relay));
            _relay.Tell(PoisonPill.Instance);
        }
        _stopAccepting.Dispose();
    }

    public async ValueTask DisposeAsync() => await StopAsync().ConfigureAwait(false);
}

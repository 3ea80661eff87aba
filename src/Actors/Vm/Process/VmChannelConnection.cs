using System.Net.Sockets;
using System.Threading.Channels;
using Akka.Actor;

namespace Tern.Actors.Vm.Process;

/// <summary>
/// One connected VM channel socket, owned by an actor: a reader task tells the actor each frame
/// (<see cref="Received"/>) and, once, how the connection ended (<see cref="Closed"/>); a writer
/// task sends the frames <see cref="Send"/> queues, so an actor never blocks on a slow peer.
/// </summary>
public sealed class VmChannelConnection : IDisposable
{
    /// <summary>A frame that arrived on <paramref name="Connection"/>.</summary>
    public sealed record Received(VmChannelConnection Connection, VmChannelFrame Frame);

    /// <summary><paramref name="Connection"/> ended: the peer closed it (<paramref name="Error"/> null) or broke the protocol.</summary>
    public sealed record Closed(VmChannelConnection Connection, string? Error);

    private readonly Socket _socket;
    private readonly NetworkStream _stream;
    private readonly Channel<VmChannelFrame> _outbox = Channel.CreateUnbounded<VmChannelFrame>(new UnboundedChannelOptions { SingleReader = true });
    private readonly CancellationTokenSource _stop = new();
    private int _closed;

    private VmChannelConnection(Socket socket)
    {
        _socket = socket;
        _stream = new NetworkStream(socket, ownsSocket: true);
    }

    /// <summary>Starts reading and writing <paramref name="socket"/> on behalf of <paramref name="owner"/>.</summary>
    public static VmChannelConnection Start(Socket socket, IActorRef owner)
    {
        var connection = new VmChannelConnection(socket);
        _ = Task.Run(() => connection.ReadLoopAsync(owner));
        _ = Task.Run(connection.WriteLoopAsync);
        return connection;
    }

    /// <summary>Queues a frame; frames go out in the order queued. Dropped once the connection has ended.</summary>
    public void Send(VmChannelFrame frame) => _outbox.Writer.TryWrite(frame);

    private async Task ReadLoopAsync(IActorRef owner)
    {
        string? error = null;
        try
        {
            while (await VmChannelCodec.ReadAsync(_stream, _stop.Token) is { } frame) owner.Tell(new Received(this, frame));
        }
        catch (VmChannelException e)
        {
            error = e.Message;
        }
        catch (Exception e) when (e is IOException or SocketException or ObjectDisposedException or OperationCanceledException)
        {
            // The peer went away or this end was disposed: an end like any other.
        }
        Dispose();
        owner.Tell(new Closed(this, error));
    }

    private async Task WriteLoopAsync()
    {
        try
        {
            await foreach (var frame in _outbox.Reader.ReadAllAsync(_stop.Token))
                await _stream.WriteAsync(VmChannelCodec.Encode(frame), _stop.Token);
        }
        catch (Exception e) when (e is IOException or SocketException or ObjectDisposedException or OperationCanceledException)
        {
            Dispose(); // the reader then reports the end
        }
    }

    public void Dispose()
    {
        if (Interlocked.Exchange(ref _closed, 1) != 0) return;
        _outbox.Writer.TryComplete();
        _stop.Cancel();
        try
        {
            _socket.Shutdown(SocketShutdown.Both);
        }
        catch (Exception e) when (e is SocketException or ObjectDisposedException)
        {
            // Already gone.
        }
        _stream.Dispose();
    }
}

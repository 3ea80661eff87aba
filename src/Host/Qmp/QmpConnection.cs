using System.Net.Sockets;

namespace Tern.Host.Qmp;

/// <summary>
/// One connected client. The reader cuts the byte stream into lines and answers them one at a
/// time, so a client's replies come in the order of its requests; the writer drains the
/// client's <see cref="QmpOutbox"/> to the socket. A client that leaves mid-line takes the
/// partial line with it. When the client closes its sending side, the replies already queued
/// are still written before the connection closes.
/// </summary>
public sealed class QmpConnection
{
    private const int ReceiveBufferBytes = 64 * 1024;

    private readonly Socket _socket;
    private readonly QmpDispatcher _dispatcher;
    private readonly QmpOutbox _outbox;
    private readonly LineFramer _framer;
    private readonly CancellationTokenSource _stopReading = new();
    private readonly CancellationTokenSource _abort = new();
    private volatile bool _closing;
    private Task _completion = Task.CompletedTask;

    public QmpConnection(Socket socket, QmpDispatcher dispatcher, int outboxCapacity = QmpOutbox.DefaultCapacity,
        int maxLineBytes = LineFramer.DefaultMaxLineBytes)
    {
        _socket = socket;
        _dispatcher = dispatcher;
        _outbox = new QmpOutbox(outboxCapacity);
        _framer = new LineFramer(maxLineBytes);
    }

    /// <summary>Completes when both loops have ended and the socket is closed.</summary>
    public Task Completion => _completion;

    /// <summary>Why the server cut the client off, if it did.</summary>
    public string? AbortReason { get; private set; }

    /// <summary>Queues the greeting, then starts reading requests and writing lines.</summary>
    public void Start(byte[] greeting)
    {
        _outbox.TryPost(greeting);
        var reader = Task.Run(ReadLoopAsync);
        var writer = Task.Run(WriteLoopAsync);
        _completion = Task.WhenAll(reader, writer).ContinueWith(_ =>
        {
            _socket.Dispose();
            _stopReading.Dispose();
            _abort.Dispose();
        }, TaskScheduler.Default);
    }

    /// <summary>Queues an event; a client whose queue is full is disconnected (see <see cref="QmpOutbox"/>).</summary>
    public void PostEvent(byte[] line)
    {
        if (_closing) return;
        if (!_outbox.TryPost(line) && !_closing)
            Abort($"more than {_outbox.Capacity} lines waiting for the client to read them");
    }

    /// <summary>Stops reading new requests; the one being answered finishes and queued lines are still written.</summary>
    public void StopReading() => Cancel(_stopReading);

    /// <summary>Closes at once, dropping whatever is queued.</summary>
    public void Abort(string reason)
    {
        AbortReason ??= reason;
        _closing = true;
        Cancel(_abort);
    }

    private async Task ReadLoopAsync()
    {
        var buffer = new byte[ReceiveBufferBytes];
        var frames = new List<QmpFrame>();
        using var receiveCancel = CancellationTokenSource.CreateLinkedTokenSource(_stopReading.Token, _abort.Token);
        try
        {
            while (true)
            {
                int n = await _socket.ReceiveAsync(buffer, SocketFlags.None, receiveCancel.Token);
                if (n == 0) break; // the client closed its side; a partial line is dropped with it
                frames.Clear();
                _framer.Push(buffer.AsSpan(0, n), frames);
                foreach (var frame in frames)
                {
                    if (_stopReading.IsCancellationRequested) return;
                    byte[]? reply = frame switch
                    {
                        QmpFrame.Line line => await _dispatcher.HandleLineAsync(line.Bytes, _abort.Token),
                        QmpFrame.TooLong tooLong => QmpDispatcher.TooLong(tooLong.Length, _framer.MaxLineBytes),
                        _ => null,
                    };
                    if (reply is not null) await _outbox.SendReplyAsync(reply, _abort.Token);
                }
            }
        }
        catch (Exception e) when (IsDisconnect(e))
        {
        }
        finally
        {
            _closing = true;
            _outbox.Complete();
        }
    }

    private async Task WriteLoopAsync()
    {
        try
        {
            await foreach (var line in _outbox.Reader.ReadAllAsync(_abort.Token))
            {
                for (int sent = 0; sent < line.Length;)
                    sent += await _socket.SendAsync(line.AsMemory(sent), SocketFlags.None, _abort.Token);
            }
            _socket.Shutdown(SocketShutdown.Both);
        }
        catch (Exception e) when (IsDisconnect(e))
        {
        }
        finally
        {
            // The writer cannot go on (or is done): the reader must not wait for room in the queue.
            _closing = true;
            Cancel(_abort);
        }
    }

    private static bool IsDisconnect(Exception e) =>
        e is OperationCanceledException or SocketException or ObjectDisposedException or IOException;

    private static void Cancel(CancellationTokenSource source)
    {
        try
        {
            source.Cancel();
        }
        catch (ObjectDisposedException)
        {
        }
    }
}

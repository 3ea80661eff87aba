using System.Threading.Channels;

namespace Tern.Host.Qmp;

/// <summary>
/// The bounded queue of lines waiting to be written to one client. Replies wait for room: a
/// client that does not read its replies only stops its own requests from being read. Events
/// (and the greeting) never wait, because they come from the VM's side and must not block it or
/// the other clients: when an event finds the queue full, the client has let
/// <see cref="Capacity"/> lines pile up, and the server disconnects it rather than silently
/// dropping events from a connection that stays open (a QMP client would then hold a wrong
/// picture of the VM). It can reconnect and query the state.
/// </summary>
public sealed class QmpOutbox(int capacity = QmpOutbox.DefaultCapacity)
{
    public const int DefaultCapacity = 1024;

    private readonly Channel<byte[]> _lines = Channel.CreateBounded<byte[]>(new BoundedChannelOptions(capacity)
    {
        SingleReader = true,
        FullMode = BoundedChannelFullMode.Wait,
    });

    public int Capacity { get; } = capacity;

    public ChannelReader<byte[]> Reader => _lines.Reader;

    /// <summary>Queues a reply, waiting while the queue is full.</summary>
    public ValueTask SendReplyAsync(byte[] line, CancellationToken cancel) => _lines.Writer.WriteAsync(line, cancel);

    /// <summary>Queues an event without waiting; false when the queue is full (or closed).</summary>
    public bool TryPost(byte[] line) => _lines.Writer.TryWrite(line);

    /// <summary>Nothing more will be queued; the writer drains what is there, then ends.</summary>
    public void Complete() => _lines.Writer.TryComplete();
}

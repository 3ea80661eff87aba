using Akka.Actor;
using Tern.Actors.Vm;

namespace Tern.Host.Qmp;

/// <summary>
/// Subscribed to the VmActor on behalf of every QMP client: turns each <see cref="VmEvent"/> into
/// its lines once (migration progress into none or MIGRATION / MIGRATION_PASS) and hands them to
/// the server's fan-out, which only queues (never blocks). A <see cref="Flush"/> is answered
/// after every event that reached the mailbox before it, which is how the server makes sure the
/// SHUTDOWN event is queued before it closes the connections.
/// </summary>
public sealed class QmpEventRelay : ReceiveActor
{
    /// <summary>Replied with <see cref="Flushed"/> once the events ahead of it are queued to the clients.</summary>
    public sealed record Flush;

    public sealed record Flushed;

    public static Props Props(Action<byte[]> broadcast) => Akka.Actor.Props.Create(() => new QmpEventRelay(broadcast));

    public QmpEventRelay(Action<byte[]> broadcast)
    {
        Receive<VmEvent>(e =>
        {
            foreach (var line in QmpEvents.Lines(e)) broadcast(line);
        });
        Receive<Flush>(_ => Sender.Tell(new Flushed()));
    }
}

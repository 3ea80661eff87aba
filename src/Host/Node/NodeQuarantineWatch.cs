using Akka.Actor;
using Akka.Remote;

namespace Tern.Host.Node;

/// <summary>
/// Ends the node when another member has quarantined it (it was downed and removed while cut off,
/// and came back): such a node can never talk to the cluster again, and with a lease its Split
/// Brain Resolver may not have downed its own side (it could not reach the database to decide), so
/// nothing else would end it. Its VMs were ended when its lease lapsed; a restart joins afresh.
/// </summary>
public sealed class NodeQuarantineWatch : ReceiveActor
{
    public NodeQuarantineWatch(Action<string> stop)
    {
        Receive<ThisActorSystemQuarantinedEvent>(q =>
        {
            stop($"{q.RemoteAddress} has quarantined this node (the cluster removed it): restart it to join again");
            Context.Stop(Self);
        });
    }

    protected override void PreStart() => Context.System.EventStream.Subscribe(Self, typeof(ThisActorSystemQuarantinedEvent));

    protected override void PostStop() => Context.System.EventStream.Unsubscribe(Self);
}

using Akka.Actor;
using Akka.Cluster.Tools.Client;
using Tern.Actors.Cluster.Protocol;

namespace Tern.Actors.Cluster.Manager;

/// <summary>
/// The door for programs outside the cluster: an actor at <see cref="ClusterEndpoints.OperatorPath"/>
/// on every node, registered with the node's ClusterClientReceptionist, that forwards each
/// <see cref="ClusterProtocol.IManagerCommand"/> to the manager singleton's proxy. Forwarding
/// keeps the client as the sender, so the manager's reply goes straight back through the
/// receptionist's tunnel; the manager answers as it answers the HTTP API, which is the same
/// operator access (no token is asked here: the cluster transport's certificate is the credential).
/// </summary>
public static class OperatorGateway
{
    /// <summary>Starts the gateway and makes it reachable through this node's receptionist.</summary>
    public static IActorRef Start(ActorSystem system, IActorRef manager)
    {
        var gateway = system.ActorOf(Props.Create(() => new Forwarder(manager)), ClusterEndpoints.OperatorPath["/user/".Length..]);
        ClusterClientReceptionist.Get(system).RegisterService(gateway);
        return gateway;
    }

    private sealed class Forwarder : ReceiveActor
    {
        public Forwarder(IActorRef manager) => Receive<ClusterProtocol.IManagerCommand>(command => manager.Forward(command));
    }
}

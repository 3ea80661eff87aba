using Akka.Actor;
using Akka.Cluster.Tools.Client;
using Tern.Actors.Cluster.Protocol;

namespace Tern.Samples.MigrateWithClusterClient;

/// <summary>
/// Asks the cluster manager through the ClusterClient: each command goes to the operator gateway
/// of whichever node the client is connected to, and the manager's reply comes back typed.
/// </summary>
public sealed class ClusterOperator(IActorRef client, TimeSpan timeout)
{
    /// <summary>The reply of type <typeparamref name="T"/>; a <see cref="ClusterProtocol.Failed"/> becomes a <see cref="CommandFailedException"/>.</summary>
    public async Task<T> Ask<T>(ClusterProtocol.IManagerCommand command)
    {
        object reply = await client.Ask<object>(new ClusterClient.Send(ClusterEndpoints.OperatorPath, command), timeout);
        return reply switch
        {
            T answer => answer,
            ClusterProtocol.Failed failed => throw new CommandFailedException(failed),
            _ => throw new InvalidOperationException($"{command.GetType().Name} was answered with {reply.GetType().Name}"),
        };
    }
}

/// <summary>The manager refused a command: its kind (NotFound, Conflict, ...) and reason.</summary>
public sealed class CommandFailedException(ClusterProtocol.Failed failed) : Exception($"{failed.Kind}: {failed.Reason}")
{
    public ClusterProtocol.Failed Failed { get; } = failed;
}

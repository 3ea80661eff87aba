using Akka.Actor;
using Tern.Actors.Cluster.Protocol;

namespace Tern.Actors.Cluster;

/// <summary>
/// The cluster serializer as a node runs it (hocon/cluster.conf binds it): the protocol's
/// <see cref="ClusterSerializer"/>, reading also the old names of the nodes' own types, which live
/// in this assembly, so that a journal an earlier Tern wrote still recovers. The wire format and
/// identifier are the client's.
/// </summary>
public sealed class ClusterNodeSerializer(ExtendedActorSystem system) : ClusterSerializer(system, Renames)
{
    /// <summary>
    /// Where today's types are: the protocol package first, then this assembly. The old
    /// ClusterProtocol's nested types that did not go to the package are <see cref="NodeProtocol"/>'s.
    /// </summary>
    public static readonly ClusterTypeRenames Renames = new(
        [typeof(ClusterProtocol).Assembly, typeof(NodeProtocol).Assembly],
        new Dictionary<string, string> { ["ClusterProtocol"] = nameof(NodeProtocol) });
}

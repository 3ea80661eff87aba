namespace Tern.Actors.Cluster.Protocol;

/// <summary>
/// The HOCON a client's ActorSystem needs to talk to the cluster: every protocol message through
/// <see cref="ClusterSerializer"/>. It takes the key "hyperion", as the nodes' hocon/cluster.conf
/// does, so that Akka's own Hyperion entry (same identifier) is replaced, not doubled.
/// </summary>
public static class ClusterSerialization
{
    public const string Config = """
        akka.actor {
          serializers.hyperion = "Tern.Actors.Cluster.Protocol.ClusterSerializer, Tern.Actors.Cluster.Protocol"
          serialization-bindings {
            "Tern.Actors.Cluster.Protocol.IClusterMessage, Tern.Actors.Cluster.Protocol" = hyperion
          }
        }
        """;
}

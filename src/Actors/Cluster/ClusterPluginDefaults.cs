using Akka.Cluster.Tools.PublishSubscribe;
using Akka.Cluster.Tools.Singleton;
using Akka.Configuration;
using Akka.Persistence.Sql;

namespace Tern.Actors.Cluster;

/// <summary>
/// The reference settings of the plugins a node uses that Akka does not load by itself (the SQL
/// journal and snapshot store, the singleton, pub-sub's serializer), under the node's own configuration.
/// </summary>
public static class ClusterPluginDefaults
{
    public static Config Under(Config config) => config
        .WithFallback(SqlPersistence.DefaultConfiguration)
        .WithFallback(ClusterSingleton.DefaultConfig())
        // Cluster.Tools' pub-sub mediator gossips from the first node that loads the extension; a
        // node that has not loaded it yet must still read that gossip rather than warn of a
        // serializer it does not know.
        .WithFallback(DistributedPubSub.DefaultConfig());
}

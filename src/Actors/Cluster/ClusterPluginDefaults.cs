using Akka.Cluster.Tools.Singleton;
using Akka.Configuration;
using Akka.Persistence.Sql;

namespace Tern.Actors.Cluster;

/// <summary>
/// The reference settings of the plugins a node uses that Akka does not load by itself (the SQL
/// journal and snapshot store, the singleton), under the node's own configuration.
/// </summary>
public static class ClusterPluginDefaults
{
    public static Config Under(Config config) => config
        .WithFallback(SqlPersistence.DefaultConfiguration)
        .WithFallback(ClusterSingleton.DefaultConfig());
}

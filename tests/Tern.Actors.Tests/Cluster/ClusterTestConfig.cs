using Akka.Configuration;
using Tern.Actors.Cluster;
using Tern.Actors.Tests.Support;

namespace Tern.Actors.Tests.Cluster;

/// <summary>
/// The node's real HOCON files from hocon/ (so the tests prove what ships), on a free loopback
/// port, with the journal in a SQLite file of the test's own.
/// </summary>
internal static class ClusterTestConfig
{
    public static Config Create(string databaseFile, int snapshotEvery = 100) => ClusterPluginDefaults.Under(
        ConfigurationFactory.ParseString($$"""
            akka.remote.dot-netty.tcp.port = 0
            akka.loglevel = WARNING
            akka.test.single-expect-default = 10s
            akka.persistence.journal.sql.connection-string = "Data Source={{databaseFile}}"
            akka.persistence.snapshot-store.sql.connection-string = "Data Source={{databaseFile}}"
            akka.persistence.query.journal.sql.connection-string = "Data Source={{databaseFile}}"
            tern.cluster.manager.snapshot-every = {{snapshotEvery}}
            tern.cluster.manager.reconcile-interval = 200ms
            tern.host.image-dirs = ["{{TestGuest.RepoRoot}}/tests/guest/build", "{{Path.GetTempPath()}}"]
            """)
            .WithFallback(File("persistence-sqlite.conf"))
            .WithFallback(File("cluster.conf"))
            .WithFallback(File("node.conf")));

    private static Config File(string name) =>
        ConfigurationFactory.ParseString(System.IO.File.ReadAllText(Path.Combine(TestGuest.RepoRoot, "hocon", name)));
}

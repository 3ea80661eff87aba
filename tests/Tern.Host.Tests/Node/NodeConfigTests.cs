using Akka.Configuration;
using Tern.Actors.Cluster;
using Tern.Actors.Cluster.Host;
using Tern.Actors.Cluster.Manager;
using Tern.Host.Node;

namespace Tern.Host.Tests.Node;

public sealed class NodeConfigTests
{
    private static NodeOptions Options(params (string, int)[] seeds) =>
        new("h1", ("127.0.0.1", 7741), seeds, null, null, "/var/lib/tern/h1", null, ["/srv/images"]);

    [Fact]
    public void The_database_kind_follows_the_connection_string_and_defaults_to_sqlite_in_the_data_directory()
    {
        Assert.Equal(new NodeDatabase(DatabaseKind.Sqlite, "Data Source=/d/tern.db"), NodeDatabase.From(null, "/d"));
        Assert.Equal(DatabaseKind.Sqlite, NodeDatabase.From("Data Source=/x.db;Cache=Shared", "/d").Kind);
        var postgres = NodeDatabase.From("Host=db1;Port=5433;Database=tern;Username=u;Password=secret", "/d");
        Assert.Equal(DatabaseKind.PostgreSql, postgres.Kind);
        Assert.Equal("'tern' on db1:5433 (PostgreSQL)", postgres.Describe());
        Assert.Contains("expected a SQLite", Assert.Throws<NodeStartException>(() => NodeDatabase.From("User=x", "/d")).Message);
        Assert.Contains("malformed", Assert.Throws<NodeStartException>(() => NodeDatabase.From("nonsense", "/d")).Message);
    }

    [Fact]
    public void The_node_config_binds_seeds_and_points_both_persistence_plugins_at_the_database()
    {
        var db = new NodeDatabase(DatabaseKind.PostgreSql, "Host=db1;Database=tern;Password=a\"b\\c");
        var config = NodeConfig.Build(Options(("10.0.0.1", 7741), ("10.0.0.2", 7741)), db);
        Assert.Equal("127.0.0.1", config.GetString("akka.remote.dot-netty.tcp.hostname"));
        Assert.Equal(7741, config.GetInt("akka.remote.dot-netty.tcp.port"));
        Assert.Equal(["akka.tcp://tern@10.0.0.1:7741", "akka.tcp://tern@10.0.0.2:7741"], config.GetStringList("akka.cluster.seed-nodes"));
        foreach (var plugin in new[] { "journal", "snapshot-store" })
        {
            Assert.Equal(db.ConnectionString, config.GetString($"akka.persistence.{plugin}.sql.connection-string"));
            Assert.Equal("PostgreSQL.15", config.GetString($"akka.persistence.{plugin}.sql.provider-name"));
            Assert.StartsWith("Akka.Persistence.Sql.", config.GetString($"akka.persistence.{plugin}.sql.class"));
        }
        // A PostgreSQL journal fences by lease: the resolver's and the manager's leases live in the same database.
        Assert.Equal("lease", config.GetString("tern.cluster.fencing"));
        Assert.Equal("lease-majority", config.GetString("akka.cluster.split-brain-resolver.active-strategy"));
        Assert.Equal(db.ConnectionString, config.GetString("tern.cluster.lease.coordination.connection-string"));
        Assert.Equal("tern.cluster.lease.coordination", config.GetString("akka.cluster.split-brain-resolver.lease-majority.lease-implementation"));
        // The manager singleton runs under a lease too, and so needs no removal margin.
        Assert.Equal("tern.cluster.lease.coordination", config.GetString("akka.cluster.singleton.use-lease"));
        Assert.Equal(TimeSpan.FromMilliseconds(100), config.GetTimeSpan("akka.cluster.down-removal-margin"));
        var lease = Tern.Actors.Cluster.Leases.HostLeaseSettings.From(config, null!);
        Assert.Equal(TimeSpan.FromSeconds(4), lease.Validity);
    }

    [Fact]
    public void Fencing_by_lease_needs_postgresql_and_its_timing_must_leave_room_for_a_lost_renewal()
    {
        string file = Path.Combine(Path.GetTempPath(), $"tern-fencing-{Guid.NewGuid():N}.conf");
        NodeOptions With(string hocon)
        {
            File.WriteAllText(file, hocon);
            return Options() with { ConfigFile = file };
        }
        try
        {
            var sqlite = NodeDatabase.From(null, "/d");
            Assert.Equal("majority", NodeConfig.Build(Options(), sqlite).GetString("tern.cluster.fencing"));
            Assert.Equal("keep-majority", NodeConfig.Build(Options(), sqlite).GetString("akka.cluster.split-brain-resolver.active-strategy"));
            Assert.True(string.IsNullOrEmpty(NodeConfig.Build(Options(), sqlite).GetString("akka.cluster.singleton.use-lease", "")));
            Assert.Contains("needs a PostgreSQL journal", Assert.Throws<NodeStartException>(() => NodeConfig.Build(With("tern.cluster.fencing = lease"), sqlite)).Message);
            Assert.Equal("tern.cluster.fencing must be auto, lease or majority, not 'quorum'",
                Assert.Throws<NodeStartException>(() => NodeConfig.Build(With("tern.cluster.fencing = quorum"), sqlite)).Message);
            var postgres = new NodeDatabase(DatabaseKind.PostgreSql, "Host=db1;Database=tern");
            Assert.Equal("keep-majority", NodeConfig.Build(With("tern.cluster.fencing = majority"), postgres).GetString("akka.cluster.split-brain-resolver.active-strategy"));
            var tight = NodeConfig.Build(With("tern.cluster.lease { ttl = 2s, renew-every = 1s }"), postgres);
            Assert.Equal("tern.cluster.lease.ttl must be at least twice renew-every plus stop-margin (3000 ms), not 2000 ms",
                Assert.Throws<ConfigurationException>(() => Tern.Actors.Cluster.Leases.HostLeaseSettings.From(tight, null!)).Message);
        }
        finally
        {
            File.Delete(file);
        }
    }

    [Fact]
    public void A_node_without_seeds_starts_a_cluster_of_its_own_and_the_shipped_settings_are_complete()
    {
        var config = NodeConfig.Build(Options(), NodeDatabase.From(null, "/d"));
        Assert.Equal(["akka.tcp://tern@127.0.0.1:7741"], config.GetStringList("akka.cluster.seed-nodes"));
        Assert.Equal("SQLite.MS", config.GetString("akka.persistence.journal.sql.provider-name"));
        var manager = ClusterManagerSettings.From(config);
        var host = HostSettings.From(config);
        Assert.Equal(100, manager.SnapshotEvery);
        Assert.True(manager.Overload.TargetLoad < manager.Overload.HighLoad);
        // Fencing must finish before the Split Brain Resolver lets the majority restart the VMs.
        Assert.True(host.FenceAfter < config.GetTimeSpan("akka.cluster.split-brain-resolver.stable-after"));
        Assert.Null(host.GuestMemoryBytes);
        Assert.Equal(HostLoadSource.Machine, host.LoadSource);
        Assert.Equal(["/srv/images"], config.GetStringList("tern.host.image-dirs")); // --image-dir adds to the empty default
    }

    [Theory]
    [InlineData("vms", HostLoadSource.Vms)]
    [InlineData("machine", HostLoadSource.Machine)]
    public void The_load_source_is_machine_or_vms(string value, HostLoadSource expected)
    {
        var config = ConfigurationFactory.ParseString($"tern.host.load-source = {value}")
            .WithFallback(NodeConfig.Build(Options(), NodeDatabase.From(null, "/d")));
        Assert.Equal(expected, HostSettings.From(config).LoadSource);
    }

    [Fact]
    public void An_unknown_load_source_is_refused_by_name()
    {
        var config = ConfigurationFactory.ParseString("tern.host.load-source = guests")
            .WithFallback(NodeConfig.Build(Options(), NodeDatabase.From(null, "/d")));
        var error = Assert.Throws<ConfigurationException>(() => HostSettings.From(config));
        Assert.Equal("tern.host.load-source must be 'machine' or 'vms', not 'guests'", error.Message);
    }

    [Fact]
    public void With_tls_the_transport_is_akka_ssl_tcp_and_the_seeds_say_so()
    {
        var config = NodeConfig.Build(Options(("10.0.0.1", 7741)) with { TlsDirectory = "/etc/tern/tls" }, NodeDatabase.From(null, "/d"));
        Assert.True(config.GetBoolean("akka.remote.dot-netty.tcp.enable-ssl"));
        Assert.Equal(["akka.ssl.tcp://tern@10.0.0.1:7741"], config.GetStringList("akka.cluster.seed-nodes"));
    }
}

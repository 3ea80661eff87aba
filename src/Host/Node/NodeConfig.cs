using Akka.Configuration;
using Tern.Actors.Cluster;
using Tern.Actors.Cluster.Protocol;

namespace Tern.Host.Node;

/// <summary>
/// The node's HOCON: what its command line sets, over an optional --config file, the chosen
/// database's persistence file, cluster.conf, node.conf, and the plugins' own defaults.
/// </summary>
public static class NodeConfig
{
    public const string SystemName = ClusterEndpoints.SystemName;

    /// <summary>A member's Akka address; with TLS the transport's protocol is akka.ssl.tcp.</summary>
    public static string AddressOf((string Host, int Port) endpoint, bool tls = false) => ClusterEndpoints.NodeAddress(endpoint.Host, endpoint.Port, tls);

    public static Config Build(NodeOptions options, NodeDatabase database)
    {
        // A node without seeds starts a new cluster by joining itself.
        var seeds = options.Seeds.Count > 0 ? options.Seeds : [options.Bind];
        string overrides = $"""
            akka.remote.dot-netty.tcp.hostname = {Quote(options.Bind.Host)}
            akka.remote.dot-netty.tcp.port = {options.Bind.Port}
            akka.cluster.seed-nodes = [{string.Join(", ", seeds.Select(s => Quote(AddressOf(s, options.TlsDirectory is not null))))}]
            akka.persistence.journal.sql.connection-string = {Quote(database.ConnectionString)}
            akka.persistence.snapshot-store.sql.connection-string = {Quote(database.ConnectionString)}
            akka.persistence.query.journal.sql.connection-string = {Quote(database.ConnectionString)}
            akka.remote.dot-netty.tcp.enable-ssl = {(options.TlsDirectory is null ? "off" : "on")}
            akka.loggers = ["Tern.Host.Node.NodeLogger, tern"]
            """;
        var config = ConfigurationFactory.ParseString(overrides);
        if (options.ConfigFile is { } extra) config = config.WithFallback(Parse(extra, File.ReadAllText(extra)));
        config = config
            .WithFallback(Shipped(database.HoconFile))
            .WithFallback(Shipped("cluster.conf"))
            .WithFallback(Shipped("node.conf"));
        // --image-dir adds to the configured list rather than replacing it.
        var images = config.GetStringList("tern.host.image-dirs").Concat(options.ImageDirectories);
        config = ConfigurationFactory.ParseString($"tern.host.image-dirs = [{string.Join(", ", images.Select(Quote))}]").WithFallback(config);
        return ClusterPluginDefaults.Under(WithFencing(config, database));
    }

    /// <summary>
    /// Resolves <c>tern.cluster.fencing</c> to lease or majority. With a lease the Split Brain
    /// Resolver runs lease-majority on the journal's database, and the manager singleton starts only
    /// under a lease there too: two managers can then never write the journal at once, so a new
    /// oldest node need not wait the removal margin (stable-after by default, 3 s) after its
    /// downed predecessor is removed; it starts the manager once it takes the lease (a dead
    /// predecessor's has expired by then: heartbeat-timeout is shorter than detection plus
    /// stable-after).
    /// </summary>
    private static Config WithFencing(Config config, NodeDatabase database)
    {
        string fencing = config.GetString("tern.cluster.fencing", "auto");
        bool postgres = database.Kind == DatabaseKind.PostgreSql;
        bool lease = fencing switch
        {
            "auto" => postgres,
            "lease" when postgres => true,
            "lease" => throw new NodeStartException("tern.cluster.fencing = lease needs a PostgreSQL journal (--db \"Host=...\")"),
            "majority" => false,
            _ => throw new NodeStartException($"tern.cluster.fencing must be auto, lease or majority, not '{fencing}'"),
        };
        string overrides = lease
            ? $"""
              tern.cluster.fencing = lease
              tern.cluster.lease.coordination.connection-string = {Quote(database.ConnectionString)}
              akka.cluster.split-brain-resolver.active-strategy = lease-majority
              akka.cluster.split-brain-resolver.lease-majority.lease-implementation = "tern.cluster.lease.coordination"
              akka.cluster.singleton.use-lease = "tern.cluster.lease.coordination"
              akka.cluster.singleton.lease-retry-interval = 500ms
              akka.cluster.down-removal-margin = 100ms
              """
            : "tern.cluster.fencing = majority";
        return ConfigurationFactory.ParseString(overrides).WithFallback(config);
    }

    public static bool FencesByLease(Config config) => config.GetString("tern.cluster.fencing") == "lease";

    /// <summary>A HOCON string literal: JSON string escaping is valid HOCON.</summary>
    private static string Quote(string text) => System.Text.Json.JsonSerializer.Serialize(text);

    private static Config Shipped(string file) =>
        Parse(file, File.ReadAllText(Path.Combine(AppContext.BaseDirectory, "hocon", file)));

    private static Config Parse(string name, string text)
    {
        try
        {
            return ConfigurationFactory.ParseString(text);
        }
        catch (Exception e) when (e is ConfigurationException or FormatException)
        {
            throw new NodeStartException($"bad HOCON in {name}: {e.Message}");
        }
    }
}

using Akka.Configuration;
using Tern.Actors.Cluster.Decisions;

namespace Tern.Actors.Cluster.Manager;

/// <summary>The manager's settings, read from <c>tern.cluster.manager</c> (hocon/cluster.conf says what each key means).</summary>
public sealed record ClusterManagerSettings(
    int SnapshotEvery,
    int EventLogSize,
    TimeSpan ReconcileInterval,
    OverloadSettings Overload,
    MigrationLimits MigrationLimits,
    MigrationRunSettings Migration)
{
    /// <summary>How long after a host is seen lost its VMs wait before they restart elsewhere (<see cref="Host.OrphanVmWindow"/>).</summary>
    public TimeSpan HostLossWait { get; init; } = Host.OrphanVmWindow.QuitGrace;

    /// <summary>The hosts' leases with fencing by lease (the node gives them); null: fencing by majority alone.</summary>
    public Leases.IHostLeases? Leases { get; init; }

    /// <summary>Where standbys keep their copies of protected VMs' writable disks; null: beside each disk (<see cref="StandbyDisks"/>).</summary>
    public string? StandbyDiskCopies { get; init; }

    public static ClusterManagerSettings From(Config config)
    {
        var c = config.GetConfig("tern.cluster.manager")
            ?? throw new ConfigurationException("the configuration has no tern.cluster.manager section");
        return new ClusterManagerSettings(
            Positive(c.GetInt("snapshot-every"), "snapshot-every"),
            Positive(c.GetInt("event-log-size"), "event-log-size"),
            c.GetTimeSpan("reconcile-interval"),
            new OverloadSettings(
                c.GetDouble("overload.high-load"),
                c.GetDouble("overload.target-load"),
                c.GetTimeSpan("overload.sustain-for"),
                c.GetTimeSpan("overload.move-cooldown")),
            new MigrationLimits(
                Positive(c.GetInt("migration.per-host"), "migration.per-host"),
                Positive(c.GetInt("migration.per-cluster"), "migration.per-cluster")),
            new MigrationRunSettings(
                NotNegative(c.GetLong("migration.max-bandwidth"), "migration.max-bandwidth"),
                c.GetTimeSpan("migration.downtime-limit"),
                c.GetTimeSpan("migration.completion-timeout-per-gib"),
                c.GetString("migration.on-timeout") switch
                {
                    "abort" => OnCompletionTimeout.Abort,
                    "force" => OnCompletionTimeout.Force,
                    var other => throw new ConfigurationException($"tern.cluster.manager.migration.on-timeout must be 'abort' or 'force', not '{other}'"),
                },
                c.GetTimeSpan("migration.silent-after")))
        {
            HostLossWait = Host.OrphanVmWindow.HostLossWait(config),
            StandbyDiskCopies = c.GetString("protection.disk-copies", "") is { Length: > 0 } copies ? copies : null,
        };
    }

    private static long NotNegative(long value, string key) =>
        value >= 0 ? value : throw new ConfigurationException($"tern.cluster.manager.{key} must not be negative, not {value}");

    private static int Positive(int value, string key) =>
        value > 0 ? value : throw new ConfigurationException($"tern.cluster.manager.{key} must be positive, not {value}");
}

using Tern.Actors.Cluster.Registry;
using static Tern.Actors.Cluster.Registry.ManagerEvents;

namespace Tern.Actors.Cluster.Decisions;

/// <summary>
/// What a host's health report decides (issue 19): a host whose checks fail is degraded, which
/// drains it live like maintenance while its guests can still move (what fits nowhere stays, and
/// is named); a degraded host whose checks have passed for its recover-after takes VMs again.
/// The host applies the hysteresis; a report only says where it stands now.
/// </summary>
public static class HealthPlan
{
    /// <param name="Stuck">VMs of a host just degraded that fit on no other host: they stay where they are.</param>
    public sealed record Outcome(IReadOnlyList<IManagerEvent> Events, IReadOnlyList<string> Stuck);

    private static readonly Outcome Nothing = new([], []);

    public static Outcome OnReport(ClusterRegistry registry, IReadOnlyList<HostCandidate> hosts, MigrationLimits limits,
        string host, bool healthy, string? reason, DateTime now)
    {
        if (registry.Host(host) is not { Up: true }) return Nothing;
        bool degraded = registry.Degraded.ContainsKey(host);
        if (healthy) return degraded ? new([new HostRecovered(host, now)], []) : Nothing;
        if (degraded) return Nothing;
        var plan = DrainPlan.For(registry, hosts, host);
        var standbys = ProtectionPlan.StandbysLostWith(registry, host, $"host {host} is degraded", now);
        var began = MigrationStarts.Begin(registry, plan.Moves, limits, now);
        return new([new HostDegraded(host, reason ?? "its health checks failed", now), .. standbys, .. began], plan.Stuck);
    }
}

using Tern.Actors.Cluster.Registry;
using static Tern.Actors.Cluster.Registry.ManagerEvents;

namespace Tern.Actors.Cluster.Decisions;

/// <summary>
/// What a host's health report decides (issue 19): a host whose checks fail is degraded, which
/// drains it live like maintenance while its guests can still move (what fits nowhere stays, and
/// is named; a protected VM with a synced standby switches to it instead); a degraded host whose checks have passed for its recover-after takes VMs again.
/// The host applies the hysteresis; a report only says where it stands now. A node told to stop
/// (SIGTERM) empties its host the same way first (<see cref="OnShutdown"/>): degraded for that, it
/// takes VMs again when it comes back and reports good health.
/// </summary>
public static class HealthPlan
{
    /// <param name="Stuck">VMs of a host just degraded that fit on no other host: they stay where they are.</param>
    public sealed record Outcome(IReadOnlyList<IManagerEvent> Events, IReadOnlyList<string> Stuck);

    private static readonly Outcome Nothing = new([], []);

    /// <summary>Why a host whose node is stopping is degraded.</summary>
    public const string ShutdownReason = "its node is shutting down";

    public static Outcome OnReport(ClusterRegistry registry, IReadOnlyList<HostCandidate> hosts, MigrationLimits limits,
        string host, bool healthy, string? reason, DateTime now)
    {
        if (registry.Host(host) is not { Up: true }) return Nothing;
        var degraded = registry.Degraded.GetValueOrDefault(host);
        // A host degraded for its node's shutdown is back only with a new node (OnRejoin): the
        // stopping node's own checks still pass while it empties the host.
        if (healthy) return degraded is { Reason: not ShutdownReason } ? new([new HostRecovered(host, now)], []) : Nothing;
        if (degraded is not null) return Nothing;
        var (drain, stuck) = DrainPlan.Start(registry, hosts, limits, host, $"host {host} is degraded", now, promoteStandbys: true);
        return new([new HostDegraded(host, reason ?? "its health checks failed", now), .. drain], stuck);
    }

    /// <summary>A host whose node stopped in order is back: it takes VMs again at once (any other degradation waits for its checks).</summary>
    public static IReadOnlyList<IManagerEvent> OnRejoin(ClusterRegistry registry, string host, DateTime now) =>
        registry.Degraded.GetValueOrDefault(host) is { Reason: ShutdownReason } ? [new HostRecovered(host, now)] : [];

    /// <summary>
    /// The host's node is stopping: its VMs move live where they fit. A host already draining (degraded, or
    /// drained by the operator, which a restart must not undo) keeps its state; its moves begin now.
    /// </summary>
    public static Outcome OnShutdown(ClusterRegistry registry, IReadOnlyList<HostCandidate> hosts, MigrationLimits limits, string host, DateTime now)
    {
        if (registry.Host(host) is not { Up: true } entry) return Nothing;
        if (!entry.Draining) return OnReport(registry, hosts, limits, host, healthy: false, ShutdownReason, now);
        var plan = DrainPlan.For(registry, hosts, host);
        return new(MigrationStarts.Begin(registry, plan.Moves, limits, now), plan.Stuck);
    }
}

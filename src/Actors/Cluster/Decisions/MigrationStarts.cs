using Tern.Actors.Cluster.Registry;

using static Tern.Actors.Cluster.Registry.ManagerEvents;

namespace Tern.Actors.Cluster.Decisions;

/// <summary>
/// Turns planned moves (an operator's, a drain's, overload shedding's) into the migrations that
/// begin now: those the limits admit, each with the next incarnation number for the instance
/// that will receive the guest.
/// </summary>
public static class MigrationStarts
{
    public static IReadOnlyList<MigrationBegan> Begin(ClusterRegistry registry, IEnumerable<MigrationMove> planned, MigrationLimits limits, DateTime now)
    {
        long incarnation = registry.LastIncarnation;
        return limits.Admit(planned.Where(m => !registry.Migrations.ContainsKey(m.Vm)), registry.Migrations.Values)
            .Select(m => new MigrationBegan(m.Vm, m.From, m.To, ++incarnation, now))
            .ToArray();
    }

    /// <summary>The next moves of every draining host that still has VMs (fewer than the limits allow at once, or retried after a failure).</summary>
    public static IReadOnlyList<MigrationBegan> ContinueDrains(ClusterRegistry registry, IReadOnlyList<HostCandidate> hosts, MigrationLimits limits, DateTime now) =>
        Begin(registry,
            registry.Hosts.Values.Where(h => h is { Up: true, Draining: true }).SelectMany(h => DrainPlan.For(registry, hosts, h.Name).Moves),
            limits, now);
}

using Tern.Actors.Cluster.Registry;
using static Tern.Actors.Cluster.Registry.ManagerEvents;

namespace Tern.Actors.Cluster.Decisions;

/// <summary>
/// Moves that empty a host for maintenance: every VM on it (running or meant to) goes to the host
/// placement chooses among the others; VMs that fit nowhere are named so the operator knows the
/// drain cannot finish.
/// </summary>
public static class DrainPlan
{
    public sealed record Result(IReadOnlyList<MigrationMove> Moves, IReadOnlyList<string> Stuck);

    /// <summary>
    /// What emptying <paramref name="drained"/> stores now (for maintenance or a failing host): the
    /// standbys there dropped (<paramref name="why"/>), to be synced elsewhere, and the moves the
    /// limits admit; the rest follow on later reconciles. <c>Stuck</c>: VMs that fit nowhere.
    /// With <paramref name="promoteStandbys"/> (a failing host), a protected VM whose synced
    /// standby runs on a host that takes VMs switches to it instead of migrating: a promotion takes
    /// milliseconds where a migration takes seconds of a failing host's time, and it is as safe
    /// (the primary released nothing its standby has not committed; the Reconciler stops it).
    /// </summary>
    public static (IReadOnlyList<IManagerEvent> Events, IReadOnlyList<string> Stuck) Start(ClusterRegistry registry, IReadOnlyList<HostCandidate> hosts,
        MigrationLimits limits, string drained, string why, DateTime now, bool promoteStandbys = false)
    {
        var promotions = promoteStandbys ? Promotions(registry, hosts, drained, why, now) : [];
        var plan = For(registry, hosts, drained, promotions.Select(p => p.Name).ToHashSet(StringComparer.Ordinal));
        return ([.. ProtectionPlan.StandbysLostWith(registry, drained, why, now), .. promotions, .. MigrationStarts.Begin(registry, plan.Moves, limits, now)], plan.Stuck);
    }

    private static IReadOnlyList<StandbyPromoted> Promotions(ClusterRegistry registry, IReadOnlyList<HostCandidate> hosts, string drained, string why, DateTime now) =>
        registry.VmsOn(drained)
            .Where(v => v.Desired == DesiredState.Running && !registry.Migrations.ContainsKey(v.Name))
            .Select(v => ProtectionPlan.Promotion(registry, v.Name, why, now))
            .OfType<StandbyPromoted>()
            .Where(p => p.Host != drained && hosts.Any(h => h.Name == p.Host))
            .ToArray();

    public static Result For(ClusterRegistry registry, IReadOnlyList<HostCandidate> hosts, string drained, IReadOnlySet<string>? staying = null)
    {
        var others = hosts.Where(h => h.Name != drained).ToArray();
        var moving = registry.VmsOn(drained).Where(v => !registry.Migrations.ContainsKey(v.Name) && staying?.Contains(v.Name) != true).Select(v => v.Definition);
        var moves = new List<MigrationMove>();
        var stuck = new List<string>();
        foreach (var (vm, to) in Placement.ChooseAll(moving, others))
            if (to is null) stuck.Add(vm.Name);
            else moves.Add(new MigrationMove(vm.Name, drained, to, vm.MemoryBytes));
        return new Result(moves, stuck);
    }
}

using Tern.Actors.Cluster.Registry;

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
    /// </summary>
    public static (IReadOnlyList<IManagerEvent> Events, IReadOnlyList<string> Stuck) Start(ClusterRegistry registry, IReadOnlyList<HostCandidate> hosts,
        MigrationLimits limits, string drained, string why, DateTime now)
    {
        var plan = For(registry, hosts, drained);
        return ([.. ProtectionPlan.StandbysLostWith(registry, drained, why, now), .. MigrationStarts.Begin(registry, plan.Moves, limits, now)], plan.Stuck);
    }

    public static Result For(ClusterRegistry registry, IReadOnlyList<HostCandidate> hosts, string drained)
    {
        var others = hosts.Where(h => h.Name != drained).ToArray();
        var moving = registry.VmsOn(drained).Where(v => !registry.Migrations.ContainsKey(v.Name)).Select(v => v.Definition);
        var moves = new List<MigrationMove>();
        var stuck = new List<string>();
        foreach (var (vm, to) in Placement.ChooseAll(moving, others))
            if (to is null) stuck.Add(vm.Name);
            else moves.Add(new MigrationMove(vm.Name, drained, to, vm.MemoryBytes));
        return new Result(moves, stuck);
    }
}

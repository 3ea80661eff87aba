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

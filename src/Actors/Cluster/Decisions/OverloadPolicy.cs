using System.Collections.Immutable;
using Tern.Actors.Cluster.Protocol;
using Tern.Actors.Cluster.Registry;

namespace Tern.Actors.Cluster.Decisions;

/// <summary>
/// When a host counts as overloaded: above <paramref name="HighLoad"/> (CPU share, 0..1) for
/// <paramref name="SustainFor"/>; shedding brings it down to <paramref name="TargetLoad"/>, and
/// a VM that moved is left alone for <paramref name="MoveCooldown"/> so it never ping-pongs.
/// </summary>
public sealed record OverloadSettings(double HighLoad, double TargetLoad, TimeSpan SustainFor, TimeSpan MoveCooldown);

/// <summary>Since when each host has been overloaded, and when each VM last moved.</summary>
public sealed record OverloadState(ImmutableDictionary<string, DateTime> OverSince, ImmutableDictionary<string, DateTime> LastMoved)
{
    public static readonly OverloadState Empty = new(ImmutableDictionary<string, DateTime>.Empty, ImmutableDictionary<string, DateTime>.Empty);
}

/// <summary>
/// Overload shedding with hysteresis: a host becomes overloaded above the high mark and stops
/// being so only below the target mark, so a load hovering around one threshold does not flap.
/// Once it has stayed overloaded for the sustained window, the VMs that relieve it most per byte
/// of memory moved are chosen until the expected load is at the target; each goes where
/// placement finds room and where it does not push that host over the target itself.
/// </summary>
public static class OverloadPolicy
{
    public static OverloadState Observe(OverloadState state, OverloadSettings settings, string host, double load, DateTime now)
    {
        bool over = state.OverSince.ContainsKey(host);
        if (!over && load > settings.HighLoad) return state with { OverSince = state.OverSince.SetItem(host, now) };
        if (over && load < settings.TargetLoad) return state with { OverSince = state.OverSince.Remove(host) };
        return state;
    }

    /// <summary>The moves to make now. <paramref name="vmsByHost"/> is what each host reported running.</summary>
    public static IReadOnlyList<MigrationMove> Plan(
        ClusterRegistry registry,
        OverloadState state,
        OverloadSettings settings,
        IReadOnlyDictionary<string, HostLoad> loads,
        IReadOnlyDictionary<string, IReadOnlyList<VmRuntime>> vmsByHost,
        IReadOnlyList<HostCandidate> candidates,
        DateTime now)
    {
        var hosts = candidates.ToDictionary(h => h.Name);
        var projectedLoad = loads.ToDictionary(l => l.Key, l => l.Value.CpuLoad);
        var moves = new List<MigrationMove>();
        foreach (var (source, since) in state.OverSince.OrderBy(o => o.Value))
        {
            if (now - since < settings.SustainFor || !loads.TryGetValue(source, out var sourceLoad)) continue;
            var running = vmsByHost.GetValueOrDefault(source) ?? [];
            var eligible = running
                .Where(v => v.Phase == VmRunPhase.Running && v.CpuLoad > 0 && registry.Vm(v.Name)?.Host == source)
                .Where(v => !registry.Migrations.ContainsKey(v.Name))
                .Where(v => !state.LastMoved.TryGetValue(v.Name, out var moved) || now - moved >= settings.MoveCooldown)
                .OrderByDescending(v => v.CpuLoad / sourceLoad.Cpus / v.MemoryBytes)
                .ThenBy(v => v.Name, StringComparer.Ordinal);
            foreach (var vm in eligible)
            {
                if (projectedLoad[source] <= settings.TargetLoad) break;
                var definition = registry.Vms[vm.Name].Definition;
                var roomy = hosts.Values.Where(h => h.Name != source && loads.ContainsKey(h.Name)
                    && projectedLoad[h.Name] + vm.CpuLoad / loads[h.Name].Cpus <= settings.TargetLoad);
                string? to = Placement.Choose(definition, roomy);
                if (to is null) continue;
                moves.Add(new MigrationMove(vm.Name, source, to, vm.MemoryBytes));
                hosts[to] = hosts[to].With(definition);
                projectedLoad[to] += vm.CpuLoad / loads[to].Cpus;
                projectedLoad[source] -= vm.CpuLoad / sourceLoad.Cpus;
            }
        }
        return moves;
    }

    /// <summary>
    /// Remembers the moves made: the VMs start their cooldown, and each source starts a fresh
    /// window, so it sheds again only if it is still overloaded a whole window later.
    /// </summary>
    public static OverloadState Moved(OverloadState state, IEnumerable<MigrationMove> moves, DateTime now)
    {
        foreach (var m in moves)
            state = new OverloadState(
                state.OverSince.ContainsKey(m.From) ? state.OverSince.SetItem(m.From, now) : state.OverSince,
                state.LastMoved.SetItem(m.Vm, now));
        return state;
    }
}

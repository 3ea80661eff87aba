using Tern.Actors.Cluster.Protocol;

namespace Tern.Actors.Cluster.Decisions;

/// <summary>
/// Where a protected VM's standby goes (issue 18): never its primary's host (a host's death must
/// not take both), on a host it fits as a VM would (memory free, anti-affinity), spread like
/// placement (<see cref="Placement"/>). An operator's choice is checked by the same rules and
/// refused by name.
/// </summary>
public static class StandbyPlacement
{
    /// <summary>The standby's host, or why there is none.</summary>
    public static (string? Host, string? Refusal) Choose(VmDefinition vm, string primary, IReadOnlyCollection<HostCandidate> hosts, string? requested = null)
    {
        if (requested is not null)
        {
            if (requested == primary) return (null, $"vm {vm.Name} runs on {primary}: its standby must be on another host");
            var host = hosts.FirstOrDefault(h => h.Name == requested);
            if (host is null) return (null, $"host {requested} is not schedulable (unknown, down, draining or not reported yet)");
            if (!host.Fits(vm))
                return (null, host.FreeBytes < vm.MemoryBytes
                    ? $"host {requested} has {host.FreeBytes >> 20} MiB free, vm {vm.Name}'s standby needs {vm.MemoryBytes >> 20} MiB"
                    : $"host {requested} already runs a VM of anti-affinity group '{vm.AntiAffinityGroup}'");
            return (requested, null);
        }
        var others = hosts.Where(h => h.Name != primary).ToArray();
        if (others.Length == 0) return (null, $"no host but {primary} to take vm {vm.Name}'s standby");
        return Placement.Choose(vm, others) is { } chosen
            ? (chosen, null)
            : (null, $"no host but {primary} can take vm {vm.Name}'s standby: {Placement.NoRoomReason(vm, others)}");
    }
}

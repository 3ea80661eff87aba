using Tern.Actors.Cluster.Registry;

using static Tern.Actors.Cluster.Registry.ManagerEvents;

namespace Tern.Actors.Cluster.Decisions;

/// <summary>
/// Homes for the VMs that should run but have no live host: those whose host went down and those
/// waiting for room. Each gets a new incarnation on the host placement chooses (so an instance
/// left on the lost host, should it come back, is recognised as stale and stopped); a VM whose
/// host went down and that finds no room is recorded as waiting. A VM that was stopping there is
/// recorded as stopped. The VMs of a lost host that may still be running there (its VM processes
/// outlive their node for a while, see <see cref="Host.OrphanVmWindow"/>) are left alone until
/// the caller says their wait is over. A protected VM whose standby holds a committed checkpoint
/// is not restarted: its standby is promoted (<see cref="ProtectionPlan.PromotionsFor"/>).
/// </summary>
public static class FailoverPlan
{
    /// <param name="held">Lost hosts whose VMs must not be restarted elsewhere yet.</param>
    public static IReadOnlyList<IManagerEvent> For(ClusterRegistry registry, IReadOnlyList<HostCandidate> hosts, DateTime now, IReadOnlySet<string>? held = null)
    {
        // A VM that was stopping on a host that went down has stopped with it.
        var events = registry.Vms.Values
            .Where(v => v.Desired == DesiredState.Stopped && v.Host is not null && registry.Host(v.Host)?.Up != true)
            .Select(v => (IManagerEvent)new VmHalted(v.Name, v.Incarnation, $"host {v.Host} is down", null, now))
            .ToList();
        // A protected VM's synced standby takes over at once, held or not (ProtectionPlan says why that is safe).
        var promoted = ProtectionPlan.PromotionsFor(registry, now);
        events.AddRange(promoted);
        var homeless = registry.Vms.Values
            .Where(v => v.Desired == DesiredState.Running && !registry.Migrations.ContainsKey(v.Name) && !promoted.Any(p => p.Name == v.Name))
            .Where(v => v.Host is null || (registry.Host(v.Host)?.Up != true && held?.Contains(v.Host) != true))
            .ToDictionary(v => v.Name);
        long incarnation = registry.LastIncarnation;
        foreach (var (vm, host) in Placement.ChooseAll(homeless.Values.Select(v => v.Definition), hosts))
        {
            var entry = homeless[vm.Name];
            if (host is not null)
                events.Add(new VmPlaced(vm.Name, host, ++incarnation, entry.Host is null ? "room found" : $"failover from {entry.Host}", now));
            else if (entry.Host is not null)
                events.Add(new VmUnplaced(vm.Name, $"host {entry.Host} is down and {Placement.NoRoomReason(vm, hosts)}", now));
        }
        return events;
    }
}

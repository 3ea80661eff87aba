using Tern.Actors.Cluster.Protocol;
using Tern.Actors.Cluster.Registry;

namespace Tern.Actors.Cluster.Decisions;

/// <summary>What a host must be told so that what it runs matches the registry.</summary>
public abstract record HostOrder(string Host)
{
    public sealed record Run(string Host, VmDefinition Definition, long Incarnation) : HostOrder(Host);

    public sealed record Stop(string Host, string Name, long Incarnation) : HostOrder(Host);
}

/// <summary>
/// Compares one host's report with the registry. A VM the registry places on that host, meant to
/// run, and not reported is (re)ordered to run: hosts run each incarnation at most once, so a
/// repeated order is harmless. A reported instance that the registry does not want there (another
/// incarnation, another host, stopped, deleted) is ordered to stop. The source and destination of
/// a migration under way are both legitimate, and so is an instance its host reports as migrating
/// out: its migration decides where the guest ends up (after a commit the registry already names
/// the destination, but the source must not be stopped before the switch-over is done). A
/// protected VM's standby is wanted on its host; the manager starts it itself (PrepareStandby).
/// </summary>
public static class Reconciler
{
    public static IReadOnlyList<HostOrder> Orders(ClusterRegistry registry, string host, IReadOnlyList<VmRuntime> reported)
    {
        var orders = new List<HostOrder>();
        foreach (var vm in registry.VmsOn(host))
            if (vm.Desired == DesiredState.Running && !reported.Any(r => r.Name == vm.Name && r.Incarnation == vm.Incarnation))
                orders.Add(new HostOrder.Run(host, vm.Definition, vm.Incarnation));
        foreach (var r in reported)
            if (!Wanted(registry, host, r))
                orders.Add(new HostOrder.Stop(host, r.Name, r.Incarnation));
        return orders;
    }

    private static bool Wanted(ClusterRegistry registry, string host, VmRuntime r)
    {
        if (r.Phase == VmRunPhase.MigratingOut && registry.Vm(r.Name) is not null) return true;
        if (registry.Migrations.TryGetValue(r.Name, out var m)
            && ((m.From == host && registry.Vm(r.Name)?.Incarnation == r.Incarnation) || (m.To == host && m.Incarnation == r.Incarnation)))
            return true;
        // The standby of a protected VM's current instance.
        if (registry.StandbyOf(r.Name) is { } p && p.Standby == host && p.StandbyIncarnation == r.Incarnation) return true;
        return registry.Vm(r.Name) is { } vm
            && vm.Host == host
            && vm.Incarnation == r.Incarnation
            && (vm.Desired == DesiredState.Running || r.Phase == VmRunPhase.Stopping);
    }
}

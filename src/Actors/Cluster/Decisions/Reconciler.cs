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

    /// <summary>
    /// VMs stopped on <paramref name="host"/> whose end the manager never heard: meant to be
    /// stopped, placed there, not migrating, and no longer in its report, they have ended there. A
    /// host tells a VM's end once, and one told to a manager that died just then (the singleton
    /// proxy sends to the old one until it finds the new) is lost; without this the VM would show
    /// "stopping" for good.
    /// </summary>
    public static IReadOnlyList<ManagerEvents.VmHalted> StoppedUnheard(ClusterRegistry registry, string host, IReadOnlyList<VmRuntime> reported, DateTime now) =>
        registry.VmsOn(host)
            .Where(v => v.Desired == DesiredState.Stopped && !registry.Migrations.ContainsKey(v.Name) && !reported.Any(r => r.Name == v.Name))
            .Select(v => new ManagerEvents.VmHalted(v.Name, v.Incarnation, $"it is no longer running on {host}", null, now))
            .ToArray();

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

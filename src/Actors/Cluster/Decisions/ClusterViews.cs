using Tern.Actors.Cluster.Protocol;
using Tern.Actors.Cluster.Registry;

namespace Tern.Actors.Cluster.Decisions;

/// <summary>What <c>tern ctl hosts</c> and <c>vms</c> show: the registry joined with what the hosts last reported.</summary>
public static class ClusterViews
{
    public static IReadOnlyList<HostView> Hosts(ClusterRegistry registry, IReadOnlyDictionary<string, HostLoad> loads) =>
        registry.Hosts.Values
            .Select(h => new HostView(h.Name, h.Address, h.State, h.Up ? loads.GetValueOrDefault(h.Name) : null, registry.VmsOn(h.Name).Count(),
                registry.Degraded.GetValueOrDefault(h.Name)?.Reason))
            .ToArray();

    /// <param name="replication">Each protected VM's figures as its primary last reported them.</param>
    /// <param name="problems">Why each protected VM last lost its standby.</param>
    public static IReadOnlyList<VmView> Vms(ClusterRegistry registry, IReadOnlyDictionary<string, IReadOnlyList<VmRuntime>> reported,
        IReadOnlyDictionary<string, ReplicationFigures>? replication = null, IReadOnlyDictionary<string, string>? problems = null, DateTime now = default) =>
        registry.Vms.Values
            .Select(v => (Vm: v, Instance: Instance(v, reported)))
            .Select(x => new VmView(x.Vm.Name, x.Vm.Host, State(registry, x.Vm, reported), x.Vm.Definition.MemoryBytes, x.Vm.Definition.Vcpus,
                x.Vm.Incarnation, x.Vm.LastError, x.Vm.Definition, x.Instance?.CpuLoad, x.Instance?.MemoryUsedBytes,
                Protection(registry, x.Vm.Name, replication?.GetValueOrDefault(x.Vm.Name), problems?.GetValueOrDefault(x.Vm.Name), now)))
            .ToArray();

    /// <summary>A VM's protection as <c>tern ctl vms</c> shows it; null when it is not protected.</summary>
    public static ProtectionView? Protection(ClusterRegistry registry, string name, ReplicationFigures? figures, string? problem, DateTime now)
    {
        if (registry.Protection(name) is not { } p) return null;
        var standby = registry.StandbyOf(name);
        var state = standby is null ? ProtectionState.Degraded : standby.Synced ? ProtectionState.Protected : ProtectionState.Syncing;
        if (standby is null || figures is null)
            return new ProtectionView(state, standby?.Standby, p.EpochMs, -1, null, null, null, null, null, null, 0, standby is null ? problem : null);
        return new ProtectionView(state, standby.Standby, p.EpochMs, figures.Committed,
            figures.LastCommittedAt is { } at ? Math.Max(0, (now - at).TotalMilliseconds) : null,
            figures.P50PauseMs, figures.P99PauseMs, figures.MaxPauseMs, figures.LastBytes, figures.TotalBytes, figures.Stretched, figures.Broken);
    }

    /// <summary>The VM's current incarnation as its host last reported it, if it did.</summary>
    private static VmRuntime? Instance(VmEntry vm, IReadOnlyDictionary<string, IReadOnlyList<VmRuntime>> reported) =>
        vm.Host is null ? null : reported.GetValueOrDefault(vm.Host)?.FirstOrDefault(r => r.Name == vm.Name && r.Incarnation == vm.Incarnation);

    public static VmState State(ClusterRegistry registry, VmEntry vm, IReadOnlyDictionary<string, IReadOnlyList<VmRuntime>> reported)
    {
        if (registry.Migrations.ContainsKey(vm.Name)) return VmState.Migrating;
        var instance = Instance(vm, reported);
        if (vm.Desired == DesiredState.Stopped) return vm.Host is null ? VmState.Stopped : VmState.Stopping;
        // A VM whose host is lost waits for a host, even while it is held there (its VM process may still run it).
        if (vm.Host is null || registry.Host(vm.Host)?.Up != true) return VmState.Pending;
        return instance?.Phase == VmRunPhase.Running ? VmState.Running : VmState.Starting;
    }
}

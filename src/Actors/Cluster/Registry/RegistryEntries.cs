using Tern.Actors.Cluster.Protocol;

namespace Tern.Actors.Cluster.Registry;

public enum DesiredState { Running, Stopped }

/// <summary>
/// One VM in the registry. <paramref name="Host"/> is where its current incarnation runs or
/// should run (null: nowhere); <paramref name="Incarnation"/> is the number the manager gave that
/// instance; <paramref name="LastError"/> why it last ended on its own, if it did.
/// </summary>
public sealed record VmEntry(VmDefinition Definition, DesiredState Desired, string? Host, long Incarnation, string? LastError)
{
    public string Name => Definition.Name;
}

/// <summary>A host as the registry remembers it: address, whether it is a cluster member now, whether it is being drained.</summary>
public sealed record HostEntry(string Name, string Address, bool Up, bool Draining)
{
    public HostState State => !Up ? HostState.Down : Draining ? HostState.Draining : HostState.Up;
}

/// <summary>A live migration under way: the source keeps the VM until the commit.</summary>
public sealed record MigrationEntry(string Vm, string From, string To, long Incarnation, DateTime Since);

/// <summary>
/// A protected VM (issue 18): the epoch asked for, the standby's host asked for (null: the
/// manager's choice), and the standby assigned now, if any: its host and incarnation, the primary
/// incarnation it replicates, and whether it has committed a checkpoint (<paramref name="Synced"/>).
/// A standby belongs to one primary incarnation: once the VM runs as another (a restart, a
/// migration) it is stale, and a new one is synced.
/// </summary>
public sealed record ProtectionEntry(string Vm, int EpochMs, string? RequestedStandby, string? Standby, long StandbyIncarnation, long PrimaryIncarnation, bool Synced)
{
    /// <summary>The standby, if one is assigned to the VM's current instance.</summary>
    public bool HasStandbyFor(VmEntry vm) => Standby is not null && vm.Desired == DesiredState.Running && vm.Incarnation == PrimaryIncarnation;

    public ProtectionEntry WithoutStandby() => this with { Standby = null, StandbyIncarnation = 0, PrimaryIncarnation = 0, Synced = false };
}

/// <summary>The persisted snapshot of a <see cref="ClusterRegistry"/>: plain arrays, sorted by name.</summary>
/// <remarks>Written before protected VMs existed; read still, as a registry without protections (<see cref="RegistrySnapshotWithProtections"/>).</remarks>
public sealed record RegistrySnapshot(VmEntry[] Vms, HostEntry[] Hosts, MigrationEntry[] Migrations, long LastIncarnation, ApiTokenEntry[] Tokens) : IClusterMessage;

/// <summary>
/// The snapshot as written since protected VMs (a type of its own: Hyperion reads fields by
/// position, so a field added to <see cref="RegistrySnapshot"/> would make earlier snapshots unreadable).
/// </summary>
public sealed record RegistrySnapshotWithProtections(RegistrySnapshot Registry, ProtectionEntry[] Protections) : IClusterMessage;

/// <summary>A host its own health checks found failing, drained for that since <paramref name="Since"/> (issue 19).</summary>
public sealed record DegradedHost(string Host, string Reason, DateTime Since);

/// <summary>The snapshot as written since host health: the degraded hosts beside the rest (a type of its own, as above).</summary>
public sealed record RegistrySnapshotWithHealth(RegistrySnapshotWithProtections Registry, DegradedHost[] Degraded) : IClusterMessage;

/// <summary>What a control API token may do: a viewer reads, an operator does everything.</summary>
public enum ApiRole { Viewer, Operator }

/// <summary>
/// A control API token as the registry keeps it: its public id, role and the SHA-256 of the whole
/// token (hex). The token itself is shown once, to whoever created it, and never stored.
/// </summary>
public sealed record ApiTokenEntry(string Id, ApiRole Role, string Hash, DateTime Created);

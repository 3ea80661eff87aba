namespace Tern.Actors.Cluster.Protocol;

/// <summary>
/// The operator protocol of the cluster: commands and queries to the cluster manager, and their
/// replies. The manager is a cluster singleton; every node forwards these commands to it, whether
/// they come from its HTTP control API (<c>tern ctl</c>) or from a program outside the cluster
/// through Akka's ClusterClient (sent to <see cref="ClusterEndpoints.OperatorPath"/>).
///
/// Commands are answered with <see cref="Done"/> or <see cref="Failed"/>, queries with their
/// list or report. A live migration is started with <see cref="MigrateVm"/> and followed with
/// <see cref="GetMigration"/> until its <see cref="MigrationReport.Ended"/>.
/// </summary>
public static class ClusterProtocol
{
    /// <summary>A command or query for the cluster manager.</summary>
    public interface IManagerCommand : IClusterMessage;

    /// <summary>
    /// Define a VM and start it on the host placement chooses; with <paramref name="Protect"/>, also
    /// protect it (as <see cref="ProtectVm"/>) once it runs. Done, or Failed(Invalid | Conflict |
    /// NoRoom, also when no host could take its standby).
    /// </summary>
    public sealed record CreateVm(VmDefinition Definition, ProtectionRequest? Protect = null) : IManagerCommand;

    /// <summary>Start a stopped VM (placing it anew). Done, or Failed(NotFound | NoRoom).</summary>
    public sealed record StartVm(string Name) : IManagerCommand;

    /// <summary>Stop a VM (its guest is ended; its definition stays). Done, or Failed(NotFound).</summary>
    public sealed record StopVm(string Name) : IManagerCommand;

    /// <summary>Forget a stopped VM. Done, or Failed(NotFound | Conflict when it still runs).</summary>
    public sealed record DeleteVm(string Name) : IManagerCommand;

    /// <summary>
    /// Live-migrate a VM to a host. Done once the migration has begun (it is persisted); follow it
    /// with <see cref="GetMigration"/>. Failed(NotFound | Invalid same host | Conflict | NoRoom).
    /// </summary>
    public sealed record MigrateVm(string Name, string ToHost) : IManagerCommand;

    /// <summary>
    /// Move a running VM into a new VMM process on its own host, started from the <c>tern</c>
    /// binary installed there now: a live migration over a unix socket that hands the guest's RAM
    /// over instead of copying it. Done once it has begun; follow it with <see cref="GetMigration"/>.
    /// Failed(NotFound | Conflict).
    /// </summary>
    public sealed record UpgradeVm(string Name) : IManagerCommand;

    /// <summary>
    /// Keep a running copy of the VM on a standby host (<paramref name="Standby"/>, or where the
    /// manager chooses: never the VM's own host), checkpointed every <paramref name="EpochMs"/>, with
    /// the guest's output held until the standby has the checkpoint that produced it; if the VM's
    /// host is lost the standby takes over from its last checkpoint. Done once the protection is
    /// persisted (it is syncing then); Failed(NotFound | Invalid | Conflict | NoRoom), nothing changed.
    /// </summary>
    public sealed record ProtectVm(string Name, string? Standby = null, int EpochMs = ProtectionRequest.DefaultEpochMs) : IManagerCommand;

    /// <summary>End a VM's protection: its standby is discarded, the VM runs on alone. Done, or Failed(NotFound).</summary>
    public sealed record UnprotectVm(string Name) : IManagerCommand;

    /// <summary>Replied with the VM's <see cref="MigrationReport"/> (the one under way, else the last one), or Failed(NotFound).</summary>
    public sealed record GetMigration(string Name) : IManagerCommand;

    /// <summary>Cancel the VM's migration under way; Done when the source was told (the report then ends canceled), or Failed(NotFound | Conflict).</summary>
    public sealed record CancelMigration(string Name) : IManagerCommand;

    /// <summary>
    /// Mark a host unschedulable and live-migrate its VMs off (as many at once as the limits
    /// allow; the rest follow). Failed(NoRoom) naming the VMs that fit nowhere, nothing changed.
    /// </summary>
    public sealed record DrainHost(string Host) : IManagerCommand;

    /// <summary>Make a drained host schedulable again.</summary>
    public sealed record UndrainHost(string Host) : IManagerCommand;

    /// <summary>Replied with <see cref="HostList"/>.</summary>
    public sealed record GetHosts : IManagerCommand;

    /// <summary>Replied with <see cref="VmList"/>.</summary>
    public sealed record GetVms : IManagerCommand;

    /// <summary>Replied with <see cref="EventList"/>: the recent registry events after sequence <paramref name="After"/>.</summary>
    public sealed record GetEvents(long After) : IManagerCommand;

    /// <summary>A VM's serial output from byte offset <paramref name="From"/>; the manager forwards it to the VM's host, which replies with <see cref="ConsoleOutput"/>.</summary>
    public sealed record GetConsole(string Name, long From) : IManagerCommand;

    /// <summary>A command was carried out (or, for <see cref="MigrateVm"/>, begun).</summary>
    public sealed record Done(string Message) : IClusterMessage;

    /// <summary>A command was refused or could not be carried out; <paramref name="Reason"/> says why in one short phrase.</summary>
    public sealed record Failed(FailureKind Kind, string Reason) : IClusterMessage;

    public sealed record HostList(IReadOnlyList<HostView> Hosts) : IClusterMessage;

    public sealed record VmList(IReadOnlyList<VmView> Vms) : IClusterMessage;

    public sealed record EventList(IReadOnlyList<ClusterEventRecord> Events) : IClusterMessage;

    /// <summary>
    /// Serial output bytes [<paramref name="From"/>, <paramref name="Next"/>) of the VM's current
    /// instance (<paramref name="Incarnation"/>: offsets start again when it changes);
    /// <paramref name="Truncated"/> when older bytes than asked for were already dropped from the
    /// host's ring buffer; <paramref name="Continues"/> when the instance arrived by live migration,
    /// its offsets going on from the previous instance's (the migration carried the kept output).
    /// </summary>
    public sealed record ConsoleOutput(string Name, string Host, long Incarnation, long From, long Next, byte[] Data, bool Truncated, bool Continues) : IClusterMessage;
}

using Tern.Actors.Cluster.Decisions;
using Tern.Actors.Cluster.Registry;

namespace Tern.Actors.Cluster;

/// <summary>Every message that crosses the network between cluster hosts; bound to the cluster serializer in hocon/cluster.conf.</summary>
public interface IClusterMessage;

/// <summary>
/// The public protocol of the cluster: operator commands to the <see cref="ClusterManager"/>
/// (sent through its singleton proxy; the HTTP API and <c>tern ctl</c> are thin adapters over
/// them), and the conversation between the manager and each host's <see cref="HostActor"/>.
///
/// Operator commands are answered with <see cref="Done"/> or <see cref="Failed"/>, queries with
/// their list. Hosts report themselves every few seconds with <see cref="HostReport"/>; the
/// manager compares the reports with the registry and tells hosts to <see cref="RunInstance"/> or
/// <see cref="StopInstance"/>. Every VM instance carries an incarnation number the manager assigned
/// when it placed it, so a host can tell a repeated order from a new one and the manager can
/// tell a stale instance (left on a host it gave up on) from the one it wants.
/// </summary>
public static class ClusterProtocol
{
    /// <summary>A command or query an operator sends to the ClusterManager.</summary>
    public interface IManagerCommand : IClusterMessage;

    /// <summary>Define a VM and start it on the host placement chooses. Done, or Failed(Invalid | Conflict | NoRoom).</summary>
    public sealed record CreateVm(VmDefinition Definition) : IManagerCommand;

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

    /// <summary>Store a new control API token (hashed; its id must be new). Done, or Failed(Conflict | Invalid).</summary>
    public sealed record IssueApiToken(ApiTokenEntry Token) : IManagerCommand;

    /// <summary>Revoke a control API token by id. Done, or Failed(NotFound).</summary>
    public sealed record RevokeApiToken(string Id) : IManagerCommand;

    /// <summary>Replied with <see cref="ApiTokenList"/>: every token's id, role and hash (nodes check requests against it).</summary>
    public sealed record GetApiTokens : IManagerCommand;

    public sealed record ApiTokenList(IReadOnlyList<ApiTokenEntry> Tokens) : IClusterMessage;

    public sealed record Done(string Message) : IClusterMessage;

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

    // ---- host <-> manager ----

    /// <summary>
    /// A host's periodic report: who it is, its load, and the VM instances it runs. The sender is
    /// the host's <see cref="HostActor"/>; the first report registers the host.
    /// </summary>
    public sealed record HostReport(string Host, string Address, HostLoad Load, IReadOnlyList<VmRuntime> Vms) : IClusterMessage;

    /// <summary>The manager refuses a host (another host of that name is up); the host's node exits.</summary>
    public sealed record HostRejected(string Host, string Reason) : IClusterMessage;

    /// <summary>Run this incarnation of a VM. Repeated until the host reports it; a host runs each incarnation once.</summary>
    public sealed record RunInstance(VmDefinition Definition, long Incarnation) : IClusterMessage;

    /// <summary>End this incarnation of a VM on the host that runs it.</summary>
    public sealed record StopInstance(string Name, long Incarnation) : IClusterMessage;

    /// <summary>Host -> manager: the instance booted and runs.</summary>
    public sealed record VmStarted(string Host, string Name, long Incarnation) : IClusterMessage;

    /// <summary>Host -> manager: the instance ended (boot failure, guest power-off, vCPU failure or a stop order).</summary>
    public sealed record VmEnded(string Host, string Name, long Incarnation, VmEndReason Reason, string Detail) : IClusterMessage;

    /// <summary>Manager -> host: read the console of the instance the host runs now.</summary>
    public sealed record ReadConsole(string Name, long From) : IClusterMessage;

    // ---- a cluster migration: manager -> target, manager -> source, source <-> manager ----
    // 1. manager persists MigrationBegan, sends PrepareIncoming to the target host;
    // 2. the target starts the instance listening on a free TCP port: IncomingPrepared (or IncomingFailed);
    // 3. manager sends StartMigration to the source host, which runs an OutgoingMigration child;
    // 4. the source reports MigrationProgressed while it runs; at the switch-over it sends
    //    CommitRequest and resumes nothing until CommitDecision: the manager persists the commit
    //    (MigrationEnded committed: the target owns the VM) before it approves;
    // 5. the source reports MigrationOutcome; a failed one leaves the VM on the source and the
    //    target's instance (which discards itself) is stopped.

    /// <summary>Manager -> target host: start this incarnation waiting for an incoming migration.</summary>
    public sealed record PrepareIncoming(VmDefinition Definition, long Incarnation) : IClusterMessage;

    /// <summary>Target host -> manager: the incoming instance listens at tcp:<paramref name="Address"/>:<paramref name="Port"/>.</summary>
    public sealed record IncomingPrepared(string Host, string Name, long Incarnation, string Address, int Port) : IClusterMessage;

    /// <summary>Target host -> manager: the incoming instance could not be started.</summary>
    public sealed record IncomingFailed(string Host, string Name, long Incarnation, string Reason) : IClusterMessage;

    /// <summary>Manager -> source host: migrate the instance <paramref name="Incarnation"/> to the target's listener.</summary>
    public sealed record StartMigration(string Name, long Incarnation, string To, long TargetIncarnation, string Address, int Port,
        long MaxBandwidth, long DowntimeLimitMs, long CompletionTimeoutMs, OnCompletionTimeout OnTimeout) : IClusterMessage;

    /// <summary>Manager -> source host: cancel the outgoing migration to <paramref name="TargetIncarnation"/>.</summary>
    public sealed record CancelOutgoing(string Name, long TargetIncarnation) : IClusterMessage;

    /// <summary>Source host -> manager, as the VM publishes its progress (at least twice a second) while the migration runs.</summary>
    public sealed record MigrationProgressed(MigrationReport Report, long TargetIncarnation) : IClusterMessage;

    /// <summary>Source host -> manager: the destination holds the restored guest, paused; may it run there? Repeated until answered.</summary>
    /// <param name="AnswerBy">
    /// When the source stops waiting (UTC; null: it waits on). A request the manager gets later,
    /// such as one held in a singleton proxy's buffer while the manager moved, is refused rather
    /// than stored: the source has resumed the guest by then, and a stored commit would name a
    /// host the guest never reached.
    /// </param>
    public sealed record CommitRequest(string Name, long TargetIncarnation, DateTime? AnswerBy = null) : IClusterMessage;

    /// <summary>Manager -> source host: approved only once the ownership move is persisted.</summary>
    public sealed record CommitDecision(string Name, long TargetIncarnation, bool Approved, string Reason) : IClusterMessage;

    /// <summary>
    /// Source host -> manager: the migration ended. <paramref name="GuestStayed"/>: the guest runs
    /// (or is paused) on the source as before, so the destination never ran it.
    /// </summary>
    public sealed record MigrationOutcome(MigrationReport Report, long SourceIncarnation, long TargetIncarnation, bool GuestStayed) : IClusterMessage;
}

/// <summary>
/// A cluster migration as <c>tern ctl migrate</c> follows it: the source's query-migrate figures.
/// <paramref name="Status"/> is setup | active | completed | failed | canceled.
/// </summary>
public sealed record MigrationReport(
    string Name,
    string From,
    string To,
    string Status,
    int Round,
    ulong RemainingBytes,
    ulong TotalBytes,
    ulong TransferredBytes,
    double Mbps,
    long ExpectedDowntimeMs,
    long? DowntimeMs,
    long TotalTimeMs,
    string? Error) : IClusterMessage
{
    public bool Ended => Status is "completed" or "failed" or "canceled";

    public static MigrationReport Starting(string name, string from, string to) => new(name, from, to, "setup", 0, 0, 0, 0, 0, 0, null, 0, null);
}

/// <summary>
/// Why an operator command was refused; the HTTP API maps each to a status code. Hyperion sends the
/// number, so each keeps its value (4, once NotImplemented, is unused).
/// </summary>
public enum FailureKind { Invalid = 0, NotFound = 1, Conflict = 2, NoRoom = 3, Unavailable = 5 }

/// <summary>Why an instance ended; <see cref="MigrationDiscarded"/>: an incoming instance that never got its guest (the migration's outcome decides, not this).</summary>
public enum VmEndReason { BootFailed, GuestPoweredOff, GuestFailed, Stopped, Fenced, MigrationDiscarded }

/// <summary>What a host measured of itself at <paramref name="At"/>.</summary>
/// <param name="CpuLoad">Share of the host's CPU time busy since the previous sample, 0..1.</param>
/// <param name="GuestCapacityBytes">How much guest memory this host offers to the cluster.</param>
/// <param name="GuestCommittedBytes">Guest memory of the VMs it runs now.</param>
public sealed record HostLoad(
    DateTime At,
    int Cpus,
    double CpuLoad,
    ulong MemoryTotalBytes,
    ulong MemoryAvailableBytes,
    ulong GuestCapacityBytes,
    ulong GuestCommittedBytes,
    int GuestVcpus);

/// <summary>Incoming: waiting for a migration's guest; MigratingOut: its migration away decides its fate.</summary>
public enum VmRunPhase { Booting, Running, Stopping, Incoming, MigratingOut }

/// <summary>One VM instance as its host sees it; <paramref name="CpuLoad"/> is host cores its vCPU threads wanted, running or waiting to run (1.0 = one core).</summary>
public sealed record VmRuntime(string Name, long Incarnation, VmRunPhase Phase, ulong MemoryBytes, int Vcpus, double CpuLoad);

public enum HostState { Up, Draining, Down }

/// <summary>A host as <c>tern ctl hosts</c> shows it; <paramref name="Load"/> is null until it has reported.</summary>
public sealed record HostView(string Name, string Address, HostState State, HostLoad? Load, int Vms);

public enum VmState { Pending, Starting, Running, Migrating, Stopping, Stopped }

/// <summary>A VM as <c>tern ctl vms</c> shows it.</summary>
public sealed record VmView(string Name, string? Host, VmState State, ulong MemoryBytes, int Vcpus, long Incarnation, string? LastError, VmDefinition Definition);

/// <summary>One line of the cluster's event log (<c>tern ctl events</c>).</summary>
public sealed record ClusterEventRecord(long Sequence, DateTime At, string Text);


using Tern.Actors.Cluster.Protocol;
using Tern.Actors.Cluster.Decisions;
using Tern.Actors.Cluster.Registry;
using static Tern.Actors.Cluster.Protocol.ClusterProtocol;

namespace Tern.Actors.Cluster;

/// <summary>
/// The messages only nodes exchange: the conversation between the
/// <see cref="Manager.ClusterManager"/> and each host's <see cref="Host.HostActor"/>, and the
/// control API's token commands. The operator commands are the public <see cref="ClusterProtocol"/>;
/// these are the nodes' own (nodes of one cluster run the same Tern), so they stay here.
///
/// Hosts report themselves every second with <see cref="HostReport"/>; the manager compares the
/// reports with the registry and tells hosts to <see cref="RunInstance"/> or
/// <see cref="StopInstance"/>. Every VM instance carries an incarnation number the manager assigned
/// when it placed it, so a host can tell a repeated order from a new one and the manager can
/// tell a stale instance (left on a host it gave up on) from the one it wants.
/// (These were nested in ClusterProtocol before the public protocol moved to its own package;
/// ClusterNodeSerializer reads their old names.)
/// </summary>
public static class NodeProtocol
{
    /// <summary>
    /// A host's periodic report: who it is, its load, and the VM instances it runs. The sender is
    /// the host's <see cref="HostActor"/>; the first report registers the host.
    /// </summary>
    public sealed record HostReport(string Host, string Address, HostLoad Load, IReadOnlyList<VmRuntime> Vms) : IClusterMessage;

    /// <summary>
    /// Host -> manager, every health interval: whether the host's health checks pass, after its
    /// hysteresis (<see cref="Host.Health.HostHealthMonitor"/>), and if not why.
    /// </summary>
    public sealed record HostHealthReport(string Host, bool Healthy, string? Reason) : IClusterMessage;

    /// <summary>
    /// A node told to stop (SIGTERM) -> manager: empty my host live before I leave. Answered with
    /// <see cref="ShutdownDrainStarted"/> once the manager has stored it and begun the moves.
    /// </summary>
    public sealed record HostShuttingDown(string Host) : IClusterMessage;

    /// <summary>The moves away from a stopping node's host began; <paramref name="Stuck"/> fit on no other host and stay until it leaves.</summary>
    public sealed record ShutdownDrainStarted(IReadOnlyList<string> Stuck) : IClusterMessage;

    /// <summary>The manager refuses a host (another host of that name is up); the host's node exits.</summary>
    public sealed record HostRejected(string Host, string Reason) : IClusterMessage;

    /// <summary>Run this incarnation of a VM. Repeated until the host reports it; a host runs each incarnation once.</summary>
    public sealed record RunInstance(VmDefinition Definition, long Incarnation) : IClusterMessage;

    /// <summary>End this incarnation of a VM on the host that runs it.</summary>
    public sealed record StopInstance(string Name, long Incarnation) : IClusterMessage;

    /// <summary>
    /// Host -> manager: the instance booted and runs, or (<paramref name="Adopted"/>) a restarted
    /// node found its VM process still running it and drives it again.
    /// </summary>
    public sealed record VmStarted(string Host, string Name, long Incarnation, bool Adopted = false) : IClusterMessage;

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
    /// <param name="Local">The source is on the same host (an upgrade): listen on a unix socket, so the source can hand the guest's RAM over.</param>
    public sealed record PrepareIncoming(VmDefinition Definition, long Incarnation, bool Local = false) : IClusterMessage;

    /// <summary>
    /// Target host -> manager: the incoming instance listens at tcp:<paramref name="Address"/>:<paramref name="Port"/>,
    /// or for a local migration at unix:<paramref name="UnixSocket"/>.
    /// </summary>
    public sealed record IncomingPrepared(string Host, string Name, long Incarnation, string Address, int Port, string? UnixSocket = null) : IClusterMessage;

    /// <summary>Target host -> manager: the incoming instance could not be started.</summary>
    public sealed record IncomingFailed(string Host, string Name, long Incarnation, string Reason) : IClusterMessage;

    /// <summary>Manager -> source host: migrate the instance <paramref name="Incarnation"/> to the target's listener.</summary>
    public sealed record StartMigration(string Name, long Incarnation, string To, long TargetIncarnation, string Address, int Port,
        long MaxBandwidth, long DowntimeLimitMs, long CompletionTimeoutMs, OnCompletionTimeout OnTimeout, string? UnixSocket = null) : IClusterMessage
    {
        /// <summary>Where the source connects: the target's unix socket for a local migration, else its TCP port.</summary>
        public Tern.Devices.Config.MigrationEndpoint Destination => UnixSocket is { } path
            ? new(Tern.Devices.Config.MigrationTransport.Unix, path)
            : new(Tern.Devices.Config.MigrationTransport.Tcp, Address, Port);
    }

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

    // ---- a protected VM (issue 18): manager -> standby's host, manager -> primary's host, both -> manager ----
    // 1. manager persists StandbyAssigned, sends PrepareStandby to the standby's host;
    // 2. that host starts the instance waiting as a standby (x-colo set before the source can
    //    connect): IncomingPrepared (or IncomingFailed), as for a migration's target;
    // 3. once the primary runs, manager sends StartReplication to the primary's host, whose VM
    //    replicates (the initial pre-copy, then a checkpoint every epoch) until told otherwise;
    // 4. both hosts report ReplicationStatus as their VMs publish figures; the standby's first
    //    committed checkpoint makes the manager persist StandbySynced;
    // 5. the primary's host lost, or the standby's stream from it broken: the manager persists
    //    StandbyPromoted, then sends PromoteStandby; the standby resumes from its last committed
    //    checkpoint and its host reports VmStarted (PromotionFailed if it could not);
    // 6. a standby dropped (or the VM unprotected, or migrating): the manager sends EndReplication
    //    to the primary's host, whose guest goes on alone; a replication that ends there by itself
    //    is reported with ReplicationEnded. A standby instance no longer wanted is stopped like any.

    /// <summary>
    /// Manager -> standby's host: start this incarnation as a standby, waiting for its primary's
    /// replication, on its own copies of the writable disks (<paramref name="Copies"/>: the host
    /// makes each, empty and of its disk's size; the primary fills them).
    /// </summary>
    public sealed record PrepareStandby(VmDefinition Definition, long Incarnation, IReadOnlyList<DiskCopyOrder> Copies) : IClusterMessage;

    /// <summary>Manager -> primary's host: replicate the instance <paramref name="Incarnation"/> to the standby listening at <paramref name="Address"/>:<paramref name="Port"/>, a checkpoint every <paramref name="EpochMs"/>.</summary>
    public sealed record StartReplication(string Name, long Incarnation, string To, long StandbyIncarnation, string Address, int Port, int EpochMs) : IClusterMessage;

    /// <summary>Host -> manager: a replication's figures on one side (<paramref name="Standby"/>: the standby's), as its VM publishes them.</summary>
    public sealed record ReplicationStatus(string Host, string Name, long Incarnation, bool Standby, ReplicationFigures Figures) : IClusterMessage;

    /// <summary>
    /// Primary's host -> manager: the replication to <paramref name="StandbyIncarnation"/> ended; the
    /// guest goes on here alone, unless its VM ended too (<paramref name="PrimaryGone"/>: its end is
    /// reported apart, and the standby may take over).
    /// </summary>
    public sealed record ReplicationEnded(string Host, string Name, long Incarnation, long StandbyIncarnation, string Reason, bool PrimaryGone) : IClusterMessage;

    /// <summary>Manager -> standby's host: the promotion is stored; resume the guest from the last committed checkpoint.</summary>
    public sealed record PromoteStandby(string Name, long Incarnation) : IClusterMessage;

    /// <summary>Manager -> primary's host: the standby is gone or unwanted; end the replication and let the guest go on alone.</summary>
    public sealed record EndReplication(string Name, long Incarnation) : IClusterMessage;

    // ---- the control API's tokens: manager commands, but not in the public protocol ----
    // (a token means something only to the nodes' HTTP API; an Akka client is not asked for one)

    /// <summary>Store a new control API token (hashed; its id must be new). Done, or Failed(Conflict | Invalid).</summary>
    public sealed record IssueApiToken(ApiTokenEntry Token) : IManagerCommand;

    /// <summary>Revoke a control API token by id. Done, or Failed(NotFound).</summary>
    public sealed record RevokeApiToken(string Id) : IManagerCommand;

    /// <summary>Replied with <see cref="ApiTokenList"/>: every token's id, role and hash (nodes check requests against it).</summary>
    public sealed record GetApiTokens : IManagerCommand;

    public sealed record ApiTokenList(IReadOnlyList<ApiTokenEntry> Tokens) : IClusterMessage;
}

/// <summary>
/// A replication's figures on one side, from the VM's checkpoint counters: the last checkpoint
/// taken and committed (-1: none yet), when it was committed, the guest's pause per checkpoint,
/// checkpoint sizes, epochs stretched by back-pressure, and why the replication broke, if it did
/// (<paramref name="Refused"/>: the standby refused a checkpoint, rather than the link breaking).
/// </summary>
public sealed record ReplicationFigures(long Taken, long Committed, DateTime? LastCommittedAt, double LastPauseMs, double P50PauseMs, double P99PauseMs,
    double MaxPauseMs, ulong LastBytes, ulong TotalBytes, long Stretched, string? Broken, bool Refused)
{
    public static ReplicationFigures From(Migration.Engine.CheckpointInfo c) => new(c.Taken, c.Committed, c.LastCommittedAt?.UtcDateTime, c.LastPauseMs,
        c.P50PauseMs, c.P99PauseMs, c.MaxPauseMs, c.LastBytes, c.TotalBytes, c.Stretched, c.Broken, c.Refused);
}

/// <summary>Why an instance ended; <see cref="MigrationDiscarded"/>: an incoming instance that never got its guest (the migration's outcome decides, not this); <see cref="VmProcessDied"/>: its `tern vm` process crashed or was killed (Hyperion sends the number: new reasons go last).</summary>
/// <see cref="PromotionFailed"/>: a standby told to take over could not (it held no committed checkpoint).
public enum VmEndReason { BootFailed, GuestPoweredOff, GuestFailed, Stopped, Fenced, MigrationDiscarded, VmProcessDied, PromotionFailed }

/// <summary>Incoming: waiting for a migration's guest; MigratingOut: its migration away decides its fate; Standby: a protected VM's copy, paused, taking checkpoints (new phases go last: Hyperion sends the number).</summary>
public enum VmRunPhase { Booting, Running, Stopping, Incoming, MigratingOut, Standby }

/// <summary>One VM instance as its host sees it.</summary>
/// <param name="CpuLoad">Host cores it wanted, running or waiting to run (1.0 = one core): its VM process's CPU time when that has a cgroup, else its vCPU threads'.</param>
/// <param name="MemoryUsedBytes">Memory charged to its VM process's cgroup, guest RAM included; null without one.</param>
public sealed record VmRuntime(string Name, long Incarnation, VmRunPhase Phase, ulong MemoryBytes, int Vcpus, double CpuLoad, ulong? MemoryUsedBytes = null);

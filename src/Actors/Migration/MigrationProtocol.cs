using Tern.Actors.Migration.Engine;
using Tern.Devices.Config;

namespace Tern.Actors.Migration;

/// <summary>
/// The public migration protocol of a VmActor (QMP's migrate commands and the cluster speak it).
/// A source-side migration runs in a <see cref="MigrationActor"/> child; the destination side in an
/// <see cref="IncomingMigrationActor"/> child created for `-incoming`.
/// </summary>
public static class MigrationProtocol
{
    public interface IMigrationMessage;

    /// <summary>
    /// Start a live migration to a destination listening at <paramref name="Destination"/>; replied
    /// with <see cref="MigrateStarted"/> once connected, or <see cref="MigrateRefused"/>. With a
    /// <paramref name="CommitApprover"/> (the cluster's), the switch-over waits for its
    /// <see cref="CommitApproved"/> to <see cref="ApproveCommit"/> once the destination has restored
    /// the guest, and before the destination may run it.
    /// </summary>
    public sealed record Migrate(MigrationEndpoint Destination, Akka.Actor.IActorRef? CommitApprover = null) : IMigrationMessage;

    /// <summary>
    /// To the commit approver: the destination holds the restored guest, paused. Approving moves
    /// ownership (persist it first); the guest then runs there. Refusing, or no answer within
    /// <see cref="MigrationActor.CommitApprovalTimeout"/>, ends the migration failed with the guest
    /// running on the source and the destination discarding.
    /// </summary>
    public sealed record ApproveCommit(MigrationEndpoint Destination) : IMigrationMessage;

    public sealed record CommitApproved : IMigrationMessage;

    public sealed record CommitRefused(string Reason) : IMigrationMessage;

    /// <summary>
    /// After <c>-incoming defer</c>, QMP migrate-incoming: listen at <paramref name="Source"/> for the
    /// migration; replied with <see cref="MigrateStarted"/> once listening, or <see cref="MigrateRefused"/>.
    /// </summary>
    public sealed record MigrateIncoming(MigrationEndpoint Source) : IMigrationMessage;

    public sealed record MigrateStarted : IMigrationMessage;

    public sealed record MigrateRefused(string Reason) : IMigrationMessage;

    /// <summary>Cancel the running migration; replied with <see cref="CancelAccepted"/> or <see cref="CancelRefused"/>.</summary>
    public sealed record MigrateCancel : IMigrationMessage;

    public sealed record CancelAccepted : IMigrationMessage;

    public sealed record CancelRefused(string Reason) : IMigrationMessage;

    /// <summary>Replied with the current <see cref="MigrationInfo"/>.</summary>
    public sealed record QueryMigrate : IMigrationMessage;

    /// <summary>
    /// Changes only the given parameters; replied with <see cref="ParametersReply"/> or <see cref="ParametersRefused"/>.
    /// <paramref name="TlsCreds"/> must name one of the VM's tls-creds-x509 objects, or be "" (no TLS).
    /// <paramref name="ForceSwitchover"/> is the cluster's alone (no QMP name); a running migration
    /// sees it at its next round.
    /// </summary>
    public sealed record SetParameters(long? DowntimeLimitMs = null, long? MaxBandwidth = null, int? MultifdChannels = null,
        long? CompletionTimeoutMs = null, int? ThrottleInitialPercent = null, int? ThrottleIncrementPercent = null,
        int? ThrottleMaxPercent = null, string? TlsCreds = null, string? TlsHostname = null,
        bool? ForceSwitchover = null, bool? IgnoreShared = null, long? CheckpointDelayMs = null,
        long? ReplicationFenceAfterMs = null) : IMigrationMessage;

    /// <summary>
    /// QMP x-colo-lost-heartbeat, in a replication (x-colo): on the standby, resume the guest from
    /// the last committed checkpoint (the primary is gone); on the primary, go on alone (the standby
    /// is gone). Replied with <see cref="FailoverStarted"/> or <see cref="FailoverRefused"/>. Whoever
    /// sends it vouches that the other side will never run the guest again.
    /// </summary>
    public sealed record LostHeartbeat : IMigrationMessage;

    public sealed record FailoverStarted : IMigrationMessage;

    public sealed record FailoverRefused(string Reason) : IMigrationMessage;

    /// <summary>Changes capabilities by QMP name (auto-converge, multifd, events, x-ignore-shared, x-colo, x-colo-disk-copy); replied like <see cref="SetParameters"/>.</summary>
    public sealed record SetCapabilities(IReadOnlyDictionary<string, bool> Capabilities) : IMigrationMessage
    {
        /// <summary>
        /// x-colo, and x-colo-disk-copy with it when the standby keeps its own disks: on for a
        /// replication's two sides, both off once it ended (the VM's next migration is a plain one).
        /// </summary>
        public static SetCapabilities Colo(bool on, bool diskCopy = false) =>
            new(new Dictionary<string, bool> { ["x-colo"] = on, ["x-colo-disk-copy"] = on && diskCopy });
    }

    /// <summary>Replied with <see cref="ParametersReply"/>.</summary>
    public sealed record QueryParameters : IMigrationMessage;

    public sealed record ParametersReply(MigrationParameters Parameters) : IMigrationMessage;

    public sealed record ParametersRefused(string Reason) : IMigrationMessage;

    /// <summary>Child -> VmActor: progress or a status change.</summary>
    public sealed record Progress(MigrationInfo Info, bool NewPass) : IMigrationMessage;

    /// <summary>Child -> VmActor: the migration ended (completed, failed or canceled), with the guest's fate.</summary>
    public sealed record Finished(MigrationInfo Info, GuestAfterMigration Guest) : IMigrationMessage;
}

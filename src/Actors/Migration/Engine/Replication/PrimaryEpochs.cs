namespace Tern.Actors.Migration.Engine.Replication;

/// <summary>Where a protected VM's replication stands, as its primary sees it (issue 18).</summary>
public enum ReplicaPhase
{
    /// <summary>The initial pre-copy into the standby runs; no checkpoint yet, output flows as for any VM.</summary>
    Syncing,

    /// <summary>Epochs run; output is held until the checkpoint that produced it is acknowledged.</summary>
    Protected,

    /// <summary>The manager declared the standby lost: the guest runs unprotected, its output flows, no checkpoints.</summary>
    Degraded,

    /// <summary>No acknowledgement for fence-after and no word from the manager: the guest is stopped, its output held until the standby is declared lost (else never released).</summary>
    Fenced,
}

/// <summary>What the primary must do after an event.</summary>
public abstract record EpochAction
{
    /// <summary>Pause the vCPUs, harvest the dirty log, copy pages and state into the local buffer as checkpoint <paramref name="Epoch"/>, resume.</summary>
    public sealed record TakeCheckpoint(long Epoch) : EpochAction;

    /// <summary>Let out everything the guest sent during epochs up to <paramref name="Epoch"/> (network frames, console output).</summary>
    public sealed record ReleaseOutput(long Epoch) : EpochAction;

    /// <summary>Stop the guest: the standby may have been promoted, so nothing more may reach the outside.</summary>
    public sealed record StopGuest(string Why) : EpochAction;
}

/// <summary>
/// The primary's epoch and output-commit state machine, a pure function of the events it is given
/// (the actor that drives it owns the clock, the checkpoint engine and the output buffers).
///
/// Epochs. Epoch N is the guest's run between checkpoint N-1 and checkpoint N. When an epoch's
/// length has passed, the primary takes checkpoint N, unless <see cref="MaxInFlight"/> checkpoints
/// already wait for their acknowledgement: then the epoch stretches until one is acknowledged
/// (back-pressure: a link that cannot keep up makes epochs longer, never the guest's pauses), and
/// <see cref="Stretched"/> counts how often.
///
/// Output commit. Whatever the guest sends during epoch N belongs to checkpoint N and is released
/// only once the standby has acknowledged checkpoint N (applied it, complete and verified): a
/// failover resumes from the last acknowledged checkpoint, so nothing the world has seen is ever
/// taken back. Acknowledgements are cumulative.
///
/// Losing the standby. An acknowledgement overdue by <see cref="FenceAfter"/> stops the guest,
/// since the manager may have promoted the standby meanwhile; its held output stays held, and is
/// released only if the standby is then declared lost (a promoted standby's primary never runs again).
/// Only the manager, having persisted that the standby is gone, may let the primary go on alone
/// (<see cref="StandbyLost"/>): then all held output is released and checkpoints stop.
/// </summary>
public sealed record PrimaryEpochs(
    ReplicaPhase Phase,
    TimeSpan Epoch,
    TimeSpan FenceAfter,
    int MaxInFlight,
    long Taken,
    long Acked,
    DateTime EpochStarted,
    DateTime? OldestUnackedAt,
    long Stretched)
{
    /// <summary>A primary whose initial sync has begun.</summary>
    public static PrimaryEpochs Start(TimeSpan epoch, TimeSpan fenceAfter, int maxInFlight = 2)
    {
        if (epoch <= TimeSpan.Zero) throw new ArgumentOutOfRangeException(nameof(epoch), "an epoch lasts a positive time");
        if (fenceAfter <= epoch) throw new ArgumentOutOfRangeException(nameof(fenceAfter), "fence-after must be longer than an epoch");
        if (maxInFlight < 1) throw new ArgumentOutOfRangeException(nameof(maxInFlight), "at least one checkpoint may be in flight");
        return new PrimaryEpochs(ReplicaPhase.Syncing, epoch, fenceAfter, maxInFlight, 0, 0, default, null, 0);
    }

    private static readonly IReadOnlyList<EpochAction> None = [];

    /// <summary>
    /// Checkpoint 0, which ends the initial sync, was just taken: epoch 1 begins now, and its output
    /// is held. Checkpoint 0 must be acknowledged like any other (within fence-after).
    /// </summary>
    public (PrimaryEpochs, IReadOnlyList<EpochAction>) SyncCompleted(DateTime now) => Phase == ReplicaPhase.Syncing
        ? (this with { Phase = ReplicaPhase.Protected, Taken = 0, Acked = -1, EpochStarted = now, OldestUnackedAt = now }, None)
        : (this, None);

    /// <summary>The standby has committed checkpoint 0 at least: it could take over.</summary>
    public bool StandbyReady => Acked >= 0 && Phase == ReplicaPhase.Protected;

    /// <summary>The clock: takes the next checkpoint when the epoch has run its length (and back-pressure allows), and fences on an overdue acknowledgement.</summary>
    public (PrimaryEpochs, IReadOnlyList<EpochAction>) Tick(DateTime now)
    {
        if (Phase != ReplicaPhase.Protected) return (this, None);
        if (OldestUnackedAt is { } since && now - since >= FenceAfter)
            return (this with { Phase = ReplicaPhase.Fenced },
                [new EpochAction.StopGuest($"the standby acknowledged no checkpoint for {FenceAfter.TotalMilliseconds:0} ms")]);
        if (now - EpochStarted < Epoch) return (this, None);
        if (Taken - Acked >= MaxInFlight) return (this with { Stretched = Stretched + 1 }, None);
        long next = Taken + 1;
        return (this with { Taken = next, EpochStarted = now, OldestUnackedAt = OldestUnackedAt ?? now }, [new EpochAction.TakeCheckpoint(next)]);
    }

    /// <summary>
    /// The standby applied checkpoints up to <paramref name="epoch"/>: their output goes out. An
    /// acknowledgement of a checkpoint not taken, or an old one, changes nothing.
    /// </summary>
    public (PrimaryEpochs, IReadOnlyList<EpochAction>) Acknowledged(long epoch, DateTime now)
    {
        if (Phase != ReplicaPhase.Protected || epoch <= Acked || epoch > Taken) return (this, None);
        return (this with { Acked = epoch, OldestUnackedAt = epoch == Taken ? null : now }, [new EpochAction.ReleaseOutput(epoch)]);
    }

    /// <summary>
    /// The manager persisted that the standby is gone (so it was never promoted): the guest goes on
    /// alone, all its held output released; a guest stopped by fencing may run again.
    /// </summary>
    public (PrimaryEpochs, IReadOnlyList<EpochAction>) StandbyLost() => Phase is ReplicaPhase.Protected or ReplicaPhase.Syncing or ReplicaPhase.Fenced
        ? (this with { Phase = ReplicaPhase.Degraded, OldestUnackedAt = null },
            Phase == ReplicaPhase.Protected ? [new EpochAction.ReleaseOutput(Taken + 1)] : None)
        : (this, None);
}

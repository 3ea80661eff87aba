namespace Tern.Actors.Migration.Engine.Replication;

/// <summary>What the standby must do after an event.</summary>
public abstract record StandbyAction
{
    /// <summary>Apply the staged checkpoint <paramref name="Epoch"/> to the paused guest (memory, disk writes, vCPU and device state), then acknowledge it.</summary>
    public sealed record ApplyAndAcknowledge(long Epoch) : StandbyAction;

    /// <summary>Throw the staged checkpoint away: the committed one stands.</summary>
    public sealed record DiscardStaged(long Epoch) : StandbyAction;

    /// <summary>Replication cannot go on from here (a checkpoint refused, or out of order): ask the primary for a fresh sync.</summary>
    public sealed record RequestResync(string Why) : StandbyAction;

    /// <summary>Run the guest from checkpoint <paramref name="Epoch"/>, the last committed one.</summary>
    public sealed record Resume(long Epoch) : StandbyAction;
}

/// <summary>
/// The standby's checkpoint state machine, a pure function of the events it is given. The standby
/// holds a paused guest at its last committed checkpoint (0 ends the initial sync; -1: none yet,
/// nothing to resume from). A
/// checkpoint arrives in parts into a staging area, separate from the guest; only once it is
/// complete and has passed its checks is it applied and acknowledged. One that fails its checks,
/// or that does not follow the committed one, is discarded, the committed one stands, and the
/// standby asks for a fresh sync. On promotion (the manager persisted it) the guest resumes from
/// the committed checkpoint and anything staged is discarded: at most the last epoch's execution
/// is replayed, and none of its output was ever released.
/// </summary>
public sealed record StandbyCheckpoints(long Committed, long? Staging, bool Promoted)
{
    /// <summary>The initial sync runs: checkpoint 0 comes next.</summary>
    public static readonly StandbyCheckpoints Syncing = new(-1, null, false);

    public static readonly StandbyCheckpoints AfterSync = new(0, null, false);

    private static readonly IReadOnlyList<StandbyAction> None = [];

    /// <summary>Checkpoint <paramref name="epoch"/> begins to arrive.</summary>
    public (StandbyCheckpoints, IReadOnlyList<StandbyAction>) Begin(long epoch)
    {
        if (Promoted) return (this, None);
        if (Staging is { } partial) // the previous one never completed: the stream broke within it
            return (this with { Staging = null }, [new StandbyAction.DiscardStaged(partial), new StandbyAction.RequestResync($"checkpoint {partial} ended unfinished")]);
        if (epoch != Committed + 1)
            return (this, [new StandbyAction.RequestResync($"checkpoint {epoch} does not follow checkpoint {Committed}")]);
        return (this with { Staging = epoch }, None);
    }

    /// <summary>Checkpoint <paramref name="epoch"/> has arrived whole; <paramref name="verified"/>: its checksums and state passed the checks.</summary>
    public (StandbyCheckpoints, IReadOnlyList<StandbyAction>) Complete(long epoch, bool verified, string? refusal = null)
    {
        if (Promoted || Staging != epoch) return (this, None);
        return verified
            ? (new StandbyCheckpoints(epoch, null, false), [new StandbyAction.ApplyAndAcknowledge(epoch)])
            : (this with { Staging = null },
                [new StandbyAction.DiscardStaged(epoch), new StandbyAction.RequestResync($"checkpoint {epoch} refused: {refusal ?? "it failed its checks"}")]);
    }

    /// <summary>The manager persisted this standby's promotion: resume from the committed checkpoint.</summary>
    public (StandbyCheckpoints, IReadOnlyList<StandbyAction>) Promote()
    {
        if (Promoted) return (this, None);
        if (Committed < 0) throw new InvalidOperationException("no checkpoint was committed: there is nothing to resume");
        var actions = new List<StandbyAction>();
        if (Staging is { } partial) actions.Add(new StandbyAction.DiscardStaged(partial));
        actions.Add(new StandbyAction.Resume(Committed));
        return (new StandbyCheckpoints(Committed, null, true), actions);
    }
}

namespace Tern.Actors.Cluster.Protocol;

/// <summary>
/// A protected VM's replication as <c>tern ctl vms</c> shows it. Off: not protected. Syncing: its
/// standby is being filled (the initial pre-copy, or a fresh one after a fault). Protected: the
/// standby holds a committed checkpoint and takes over if the primary's host is lost. Degraded:
/// protection is wanted but no standby runs (none had room, or it was just lost).
/// </summary>
public enum ProtectionState { Off, Syncing, Protected, Degraded }

/// <summary>What <c>tern ctl protect</c> and <c>create --protect</c> ask for: the standby's host (null: the manager chooses) and the epoch.</summary>
public sealed record ProtectionRequest(string? Standby = null, int EpochMs = ProtectionRequest.DefaultEpochMs)
{
    public const int DefaultEpochMs = 50;
    public const int MinEpochMs = 10;
    public const int MaxEpochMs = 10_000;

    /// <summary>Why the request cannot be carried out as given, or null.</summary>
    public string? Problem() => EpochMs is < MinEpochMs or > MaxEpochMs
        ? $"the epoch must be {MinEpochMs} to {MaxEpochMs} ms, not {EpochMs}"
        : null;
}

/// <summary>
/// A VM's protection: its <paramref name="State"/>, the standby's host, the epoch, and the
/// primary's figures as last reported (null before the first): the committed checkpoint, its age,
/// the guest's pause per checkpoint, the checkpoint sizes, the epochs stretched by back-pressure,
/// and what went wrong last (<paramref name="Problem"/>).
/// </summary>
public sealed record ProtectionView(
    ProtectionState State,
    string? Standby,
    int EpochMs,
    long CommittedEpoch,
    double? LastCommitAgeMs,
    double? PauseP50Ms,
    double? PauseP99Ms,
    double? PauseMaxMs,
    ulong? LastCheckpointBytes,
    ulong? ReplicatedBytes,
    long StretchedEpochs,
    string? Problem)
{
    public static readonly ProtectionView Off = new(ProtectionState.Off, null, 0, -1, null, null, null, null, null, null, 0, null);
}

namespace Tern.Actors.Migration.Engine;

/// <summary>RAM statistics, named and measured as QEMU's query-migrate reports them.</summary>
public sealed record RamInfo(
    ulong Transferred,      // bytes put on the wire (page data, range tables, checksums)
    ulong Remaining,        // dirty bytes still to send
    ulong Total,            // guest RAM
    ulong Duplicate,        // zero pages (sent as ranges, no data)
    ulong Normal,           // pages sent with data
    ulong NormalBytes,
    double DirtyPagesRate,  // pages per second the guest dirtied in the last round
    double Mbps,            // measured throughput of the last round, megabits per second
    ulong DirtySyncCount,   // dirty-bitmap syncs so far
    ulong PageSize = 4096);

/// <summary>What query-migrate answers, on either side of a migration.</summary>
public sealed record MigrationInfo(MigrationStatus Status)
{
    public long TotalTimeMs { get; init; }
    public long SetupTimeMs { get; init; }
    public long? DowntimeMs { get; init; }
    public long ExpectedDowntimeMs { get; init; }
    public int ThrottlePercent { get; init; }
    public int Round { get; init; }
    public RamInfo? Ram { get; init; }
    public string? ErrorDesc { get; init; }
    /// <summary>Replication's figures (the x-colo capability), on either side; null in a migration.</summary>
    public CheckpointInfo? Checkpoints { get; init; }

    public static readonly MigrationInfo None = new(MigrationStatus.None);
}

/// <summary>
/// Replication's figures as query-migrate reports them under "x-checkpoints": on the primary what it
/// took and what the standby committed, with the guest's pause per checkpoint (percentiles and max
/// over the last 1000 checkpoints but checkpoint 0, which ends the initial sync); on the standby what
/// it committed. Pauses in ms; bytes of page data and disk writes.
/// </summary>
public sealed record CheckpointInfo
{
    public long Taken { get; init; } = -1;
    public long Committed { get; init; } = -1;
    public DateTimeOffset? LastCommittedAt { get; init; }
    public double LastPauseMs { get; init; }
    public double P50PauseMs { get; init; }
    public double P99PauseMs { get; init; }
    public double MaxPauseMs { get; init; }
    public ulong LastBytes { get; init; }
    public ulong TotalBytes { get; init; }
    /// <summary>Epochs that ran long because too many checkpoints waited for the standby (back-pressure).</summary>
    public long Stretched { get; init; }
    /// <summary>Why replication stopped, when it did (the link broke, a checkpoint was refused).</summary>
    public string? Broken { get; init; }
    /// <summary>It stopped because the standby refused a checkpoint (the link itself held): the standby must be synced afresh, not promoted.</summary>
    public bool Refused { get; init; }
}

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

    public static readonly MigrationInfo None = new(MigrationStatus.None);
}

namespace Tern.Actors.Cluster.Protocol;

/// <summary>
/// A cluster migration as <c>tern ctl migrate</c> and <see cref="ClusterProtocol.GetMigration"/>
/// follow it: the source's query-migrate figures. <paramref name="Status"/> is setup | active |
/// completed | failed | canceled; <paramref name="Error"/> says why a failed one failed.
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
    /// <summary>Completed, failed or canceled: no further report will differ.</summary>
    public bool Ended => Status is "completed" or "failed" or "canceled";

    public static MigrationReport Starting(string name, string from, string to) => new(name, from, to, "setup", 0, 0, 0, 0, 0, 0, null, 0, null);
}

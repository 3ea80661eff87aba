namespace Tern.Actors.Cluster.Decisions;

/// <summary>What a completion timeout does: give up (the VM stays on its source) or switch over now, whatever the pause.</summary>
public enum OnCompletionTimeout { Abort, Force }

/// <summary>
/// How each cluster migration runs (<c>tern.cluster.manager.migration</c>): a bandwidth cap
/// (bytes/s, 0 unlimited), the downtime limit, and a completion timeout that grows with the
/// guest's memory, with what happens when it expires.
/// </summary>
public sealed record MigrationRunSettings(
    long MaxBandwidth,
    TimeSpan DowntimeLimit,
    TimeSpan CompletionTimeoutPerGiB,
    OnCompletionTimeout OnTimeout,
    TimeSpan SilentAfter)
{
    /// <summary>Even a tiny guest gets this long: connecting and the first round have fixed costs.</summary>
    public static readonly TimeSpan MinimumCompletionTimeout = TimeSpan.FromSeconds(10);

    public static readonly MigrationRunSettings Default = new(0, TimeSpan.FromMilliseconds(300), TimeSpan.FromSeconds(60), OnCompletionTimeout.Abort, TimeSpan.FromSeconds(30));

    public TimeSpan CompletionTimeout(ulong memoryBytes)
    {
        var scaled = CompletionTimeoutPerGiB * (memoryBytes / (double)(1UL << 30));
        return scaled > MinimumCompletionTimeout ? scaled : MinimumCompletionTimeout;
    }
}

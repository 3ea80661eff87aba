namespace Tern.Actors.Migration.Engine;

/// <summary>What the pre-copy loop measured in the round that just ended.</summary>
public sealed record RoundStats(
    int Round,
    ulong RemainingBytes,        // dirty bytes waiting to be sent after this round's sync
    ulong PreviousRemainingBytes, // what the round began with (ulong.MaxValue for the first, which sends all RAM)
    double BandwidthBytesPerSec, // measured over the round
    double DirtyBytesPerSec,     // how fast the guest dirtied memory during the round
    TimeSpan Elapsed,            // since the migration started
    int ThrottlePercent);        // the vCPU throttle in force

/// <summary>The next step of the pre-copy loop.</summary>
public abstract record ConvergenceStep
{
    /// <summary>Send the remaining dirty pages in another round (with the given vCPU throttle).</summary>
    public sealed record NextRound(int ThrottlePercent) : ConvergenceStep;

    /// <summary>The rest fits the downtime limit: pause the guest and send the final state.</summary>
    public sealed record StopAndCopy(TimeSpan ExpectedDowntime) : ConvergenceStep;

    /// <summary>Not converging before the completion timeout: fail, leaving the guest on the source.</summary>
    public sealed record GiveUp(string Reason) : ConvergenceStep;
}

/// <summary>
/// The decision after each pre-copy round, as a pure function. The downtime limit is a bound, not
/// the aim: while rounds still shrink the remainder, the loop goes on until the rest would take
/// at most <see cref="PauseGoal"/>, because a guest's pause is the switch-over's fixed cost plus
/// that transfer. It stops within the limit once rounds stop helping (the remainder no longer
/// shrinks and no throttle can be raised) or after <see cref="MaxRefiningRounds"/>. A guest that
/// dirties faster than the link drains gets its vCPUs throttled (auto-converge); at the
/// completion timeout the migration gives up. Never an unbounded pause, unless the caller asks for
/// it: <see cref="MigrationParameters.ForceSwitchover"/> stops and copies at the next decision.
/// </summary>
public static class ConvergencePolicy
{
    /// <summary>The state sections and the final handshake cost time too; keep this much of the budget for them.</summary>
    public static readonly TimeSpan FixedSwitchoverCost = TimeSpan.FromMilliseconds(5);

    /// <summary>
    /// The expected downtime worth more rounds to reach. The pause a guest sees is this plus
    /// pausing, restoring and resuming (about 15-20 ms measured here): under 50 ms together.
    /// </summary>
    public static readonly TimeSpan PauseGoal = TimeSpan.FromMilliseconds(25);

    /// <summary>Rounds after which a remainder within the limit is sent, even if it still shrinks.</summary>
    public const int MaxRefiningRounds = 30;

    /// <summary>A round that leaves more than this share of what it began with made no real progress.</summary>
    private const double NoProgressShare = 0.9;

    public static TimeSpan ExpectedDowntime(ulong remainingBytes, double bandwidth) =>
        bandwidth <= 0 ? TimeSpan.MaxValue : TimeSpan.FromSeconds(remainingBytes / bandwidth) + FixedSwitchoverCost;

    public static ConvergenceStep Next(RoundStats stats, MigrationParameters p)
    {
        var expected = ExpectedDowntime(stats.RemainingBytes, stats.BandwidthBytesPerSec);
        // Forced: moving the guest now matters more than the length of its pause.
        if (p.ForceSwitchover) return new ConvergenceStep.StopAndCopy(expected);
        var limit = TimeSpan.FromMilliseconds(p.DowntimeLimitMs);
        if (expected <= limit && expected <= PauseGoal) return new ConvergenceStep.StopAndCopy(expected);
        if (stats.Elapsed >= TimeSpan.FromMilliseconds(p.CompletionTimeoutMs))
            return expected <= limit
                ? new ConvergenceStep.StopAndCopy(expected)
                : new ConvergenceStep.GiveUp(
                    $"did not converge within {p.CompletionTimeoutMs} ms: {stats.RemainingBytes >> 20} MiB dirty, "
                    + $"guest dirties {stats.DirtyBytesPerSec / 1e6:F0} MB/s, link sends {stats.BandwidthBytesPerSec / 1e6:F0} MB/s");

        int throttle = stats.ThrottlePercent;
        // QEMU's trigger: the guest dirtied more than half of what the link sent in the round.
        if (p.AutoConverge && stats.Round >= 1 && stats.DirtyBytesPerSec > 0.5 * stats.BandwidthBytesPerSec)
            throttle = throttle == 0 ? p.ThrottleInitialPercent : Math.Min(p.ThrottleMaxPercent, throttle + p.ThrottleIncrementPercent);

        if (expected <= limit)
        {
            bool shrinking = stats.RemainingBytes < NoProgressShare * stats.PreviousRemainingBytes;
            bool throttleCanHelp = throttle > stats.ThrottlePercent;
            if ((!shrinking && !throttleCanHelp) || stats.Round >= MaxRefiningRounds) return new ConvergenceStep.StopAndCopy(expected);
        }
        return new ConvergenceStep.NextRound(throttle);
    }
}

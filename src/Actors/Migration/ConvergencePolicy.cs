namespace Tern.Actors.Migration;

/// <summary>What the pre-copy loop measured in the round that just ended.</summary>
public sealed record RoundStats(
    int Round,
    ulong RemainingBytes,        // dirty bytes waiting to be sent after this round's sync
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
/// The decision after each pre-copy round, as a pure function: stop and copy when the remainder
/// can be sent within the downtime limit at the measured bandwidth; otherwise raise the vCPU
/// throttle (auto-converge) when the guest dirties faster than the link drains; give up at the
/// completion timeout. Never an unbounded pause.
/// </summary>
public static class ConvergencePolicy
{
    /// <summary>The state sections and the final handshake cost time too; keep this much of the budget for them.</summary>
    public static readonly TimeSpan FixedSwitchoverCost = TimeSpan.FromMilliseconds(5);

    public static TimeSpan ExpectedDowntime(ulong remainingBytes, double bandwidth) =>
        bandwidth <= 0 ? TimeSpan.MaxValue : TimeSpan.FromSeconds(remainingBytes / bandwidth) + FixedSwitchoverCost;

    public static ConvergenceStep Next(RoundStats stats, MigrationParameters p)
    {
        var expected = ExpectedDowntime(stats.RemainingBytes, stats.BandwidthBytesPerSec);
        if (expected <= TimeSpan.FromMilliseconds(p.DowntimeLimitMs)) return new ConvergenceStep.StopAndCopy(expected);
        if (stats.Elapsed >= TimeSpan.FromMilliseconds(p.CompletionTimeoutMs))
            return new ConvergenceStep.GiveUp(
                $"did not converge within {p.CompletionTimeoutMs} ms: {stats.RemainingBytes >> 20} MiB dirty, "
                + $"guest dirties {stats.DirtyBytesPerSec / 1e6:F0} MB/s, link sends {stats.BandwidthBytesPerSec / 1e6:F0} MB/s");

        int throttle = stats.ThrottlePercent;
        // QEMU's trigger: the guest dirtied more than half of what the link sent in the round.
        if (p.AutoConverge && stats.Round >= 1 && stats.DirtyBytesPerSec > 0.5 * stats.BandwidthBytesPerSec)
            throttle = throttle == 0 ? p.ThrottleInitialPercent : Math.Min(p.ThrottleMaxPercent, throttle + p.ThrottleIncrementPercent);
        return new ConvergenceStep.NextRound(throttle);
    }
}

using Tern.Actors.Migration.Engine;

namespace Tern.Actors.Tests.Migration;

/// <summary>The pre-copy loop's decision, as a pure function of one round's measurements.</summary>
public sealed class ConvergencePolicyTests
{
    private const double Link = 1e9; // bytes per second
    private const ulong MB = 1_000_000;
    private static readonly MigrationParameters Defaults = new();
    private static readonly MigrationParameters AutoConverge = new() { AutoConverge = true };

    private static RoundStats Round(int round, ulong remaining, ulong previous, double dirtyRate = 0, int throttle = 0, double elapsedSeconds = 1) =>
        new(round, remaining, previous, Link, dirtyRate, TimeSpan.FromSeconds(elapsedSeconds), throttle);

    [Fact]
    public void A_remainder_within_the_pause_goal_stops_at_once()
    {
        // 10 MB at 1 GB/s: 10 ms + the fixed cost, under the 25 ms goal.
        var step = ConvergencePolicy.Next(Round(1, 10 * MB, ulong.MaxValue), Defaults);
        Assert.Equal(TimeSpan.FromMilliseconds(15), Assert.IsType<ConvergenceStep.StopAndCopy>(step).ExpectedDowntime);
    }

    [Fact]
    public void Within_the_limit_but_above_the_goal_another_round_is_sent_while_rounds_shrink_the_rest()
    {
        // 80 MB: 85 ms expected, within 300 ms; the round began with 500 MB.
        Assert.IsType<ConvergenceStep.NextRound>(ConvergencePolicy.Next(Round(2, 80 * MB, 500 * MB), Defaults));
    }

    [Fact]
    public void Within_the_limit_a_rest_that_no_longer_shrinks_is_sent_when_no_throttle_can_help()
    {
        Assert.IsType<ConvergenceStep.StopAndCopy>(ConvergencePolicy.Next(Round(3, 80 * MB, 85 * MB, dirtyRate: 0.8e9), Defaults));
        var maxed = AutoConverge with { ThrottleMaxPercent = 50 };
        Assert.IsType<ConvergenceStep.StopAndCopy>(ConvergencePolicy.Next(Round(3, 80 * MB, 85 * MB, dirtyRate: 0.8e9, throttle: 50), maxed));
    }

    [Fact]
    public void Within_the_limit_a_rest_that_no_longer_shrinks_raises_the_throttle_under_auto_converge()
    {
        var step = ConvergencePolicy.Next(Round(3, 80 * MB, 85 * MB, dirtyRate: 0.8e9), AutoConverge);
        Assert.Equal(AutoConverge.ThrottleInitialPercent, Assert.IsType<ConvergenceStep.NextRound>(step).ThrottlePercent);
    }

    [Fact]
    public void Refining_ends_after_the_round_cap()
    {
        var step = ConvergencePolicy.Next(Round(ConvergencePolicy.MaxRefiningRounds, 80 * MB, 500 * MB), Defaults);
        Assert.IsType<ConvergenceStep.StopAndCopy>(step);
    }

    [Fact]
    public void The_downtime_limit_bounds_the_goal()
    {
        var tight = Defaults with { DowntimeLimitMs = 10 };
        Assert.IsType<ConvergenceStep.NextRound>(ConvergencePolicy.Next(Round(2, 10 * MB, 500 * MB), tight));
        Assert.IsType<ConvergenceStep.StopAndCopy>(ConvergencePolicy.Next(Round(2, 4 * MB, 500 * MB), tight));
    }

    [Fact]
    public void A_forced_switch_over_stops_and_copies_at_once_whatever_the_pause()
    {
        var forced = Defaults with { ForceSwitchover = true };
        // 5 GB at 1 GB/s: 5 s expected, far beyond the 300 ms limit.
        var beyond = Round(2, 5000 * MB, 6000 * MB);
        Assert.IsType<ConvergenceStep.NextRound>(ConvergencePolicy.Next(beyond, Defaults));
        Assert.Equal(TimeSpan.FromMilliseconds(5005), Assert.IsType<ConvergenceStep.StopAndCopy>(ConvergencePolicy.Next(beyond, forced)).ExpectedDowntime);
        // Within the limit and still shrinking: no more refining rounds.
        Assert.IsType<ConvergenceStep.StopAndCopy>(ConvergencePolicy.Next(Round(2, 80 * MB, 500 * MB), forced));
        // Past the completion timeout beyond the limit: it switches over rather than give up.
        var late = Round(9, 5000 * MB, 6000 * MB, elapsedSeconds: 200);
        Assert.IsType<ConvergenceStep.GiveUp>(ConvergencePolicy.Next(late, Defaults));
        Assert.IsType<ConvergenceStep.StopAndCopy>(ConvergencePolicy.Next(late, forced));
    }

    [Fact]
    public void At_the_completion_timeout_a_rest_within_the_limit_is_sent_and_one_beyond_it_gives_up()
    {
        double late = Defaults.CompletionTimeoutMs / 1000.0;
        Assert.IsType<ConvergenceStep.StopAndCopy>(ConvergencePolicy.Next(Round(9, 80 * MB, 40 * MB, elapsedSeconds: late), Defaults));
        var giveUp = Assert.IsType<ConvergenceStep.GiveUp>(ConvergencePolicy.Next(Round(9, 800 * MB, 700 * MB, dirtyRate: 2e9, elapsedSeconds: late), Defaults));
        Assert.Contains("did not converge", giveUp.Reason);
    }

    [Fact]
    public void Beyond_the_limit_the_guest_is_throttled_step_by_step_up_to_the_maximum()
    {
        var p = AutoConverge;
        int throttle = 0;
        for (int round = 1; round < 20; round++)
            throttle = Assert.IsType<ConvergenceStep.NextRound>(ConvergencePolicy.Next(Round(round, 900 * MB, 900 * MB, dirtyRate: 2e9, throttle: throttle), p)).ThrottlePercent;
        Assert.Equal(p.ThrottleMaxPercent, throttle);
        Assert.Equal(0, Assert.IsType<ConvergenceStep.NextRound>(ConvergencePolicy.Next(Round(2, 900 * MB, 900 * MB, dirtyRate: 2e9), Defaults)).ThrottlePercent);
    }
}

using Tern.Actors.Migration.Engine.Replication;
using static Tern.Actors.Migration.Engine.Replication.EpochAction;

namespace Tern.Actors.Tests.Migration.Replication;

/// <summary>Issue 18, acceptance 4: the primary's epoch and output-commit state machine.</summary>
public sealed class PrimaryEpochsTests
{
    private static readonly DateTime T0 = new(2026, 12, 7, 0, 0, 0, DateTimeKind.Utc);
    private static readonly TimeSpan Epoch = TimeSpan.FromMilliseconds(50);

    /// <summary>Checkpoint 0 (the end of the initial sync) taken and acknowledged at T0.</summary>
    private static PrimaryEpochs Protected(int maxInFlight = 2) =>
        PrimaryEpochs.Start(Epoch, TimeSpan.FromSeconds(1), maxInFlight).SyncCompleted(T0).Item1.Acknowledged(0, T0).Item1;

    private static DateTime Ms(int ms) => T0.AddMilliseconds(ms);

    [Fact]
    public void While_syncing_no_checkpoint_is_taken_and_nothing_is_held()
    {
        var syncing = PrimaryEpochs.Start(Epoch, TimeSpan.FromSeconds(1));
        var (after, actions) = syncing.Tick(Ms(500));
        Assert.Empty(actions);
        Assert.Equal(ReplicaPhase.Syncing, after.Phase);
    }

    [Fact]
    public void A_checkpoint_is_taken_each_epoch_and_its_output_released_only_when_acknowledged()
    {
        var p = Protected();
        (p, var early) = p.Tick(Ms(49));
        Assert.Empty(early);
        (p, var first) = p.Tick(Ms(50));
        Assert.Equal([new TakeCheckpoint(1)], first);
        (p, var next) = p.Tick(Ms(100));
        Assert.Equal([new TakeCheckpoint(2)], next);
        (p, var ack) = p.Acknowledged(1, Ms(110));
        Assert.Equal([new ReleaseOutput(1)], ack); // epoch 2's output stays held
        (p, var ack2) = p.Acknowledged(2, Ms(120));
        Assert.Equal([new ReleaseOutput(2)], ack2);
        Assert.Null(p.OldestUnackedAt);
    }

    [Fact]
    public void Acknowledgements_are_cumulative_and_stale_or_unknown_ones_change_nothing()
    {
        var p = Protected();
        (p, _) = p.Tick(Ms(50));
        (p, _) = p.Tick(Ms(100));
        (p, var both) = p.Acknowledged(2, Ms(105));
        Assert.Equal([new ReleaseOutput(2)], both);
        Assert.Empty(p.Acknowledged(1, Ms(106)).Item2); // older
        Assert.Empty(p.Acknowledged(3, Ms(107)).Item2); // never taken
        Assert.Equal(2, p.Acked);
    }

    [Fact]
    public void A_link_that_cannot_keep_up_stretches_epochs_instead_of_the_pauses()
    {
        var p = Protected(maxInFlight: 2);
        (p, _) = p.Tick(Ms(50));
        (p, _) = p.Tick(Ms(100));
        (p, var held) = p.Tick(Ms(150)); // two wait for their acknowledgement
        Assert.Empty(held);
        (p, held) = p.Tick(Ms(200));
        Assert.Empty(held);
        Assert.Equal(2, p.Stretched);
        (p, _) = p.Acknowledged(1, Ms(210));
        (p, var resumed) = p.Tick(Ms(211)); // the stretched epoch ends as soon as one is acknowledged
        Assert.Equal([new TakeCheckpoint(3)], resumed);
    }

    [Fact]
    public void An_acknowledgement_overdue_by_fence_after_stops_the_guest_and_nothing_held_is_released()
    {
        var p = Protected();
        (p, _) = p.Tick(Ms(50));
        (p, var waiting) = p.Tick(Ms(1049));
        Assert.DoesNotContain(waiting, a => a is StopGuest);
        (p, var fenced) = p.Tick(Ms(1050));
        Assert.IsType<StopGuest>(Assert.Single(fenced));
        Assert.Equal(ReplicaPhase.Fenced, p.Phase);
        // A late acknowledgement releases nothing: the standby may have been promoted.
        Assert.Empty(p.Acknowledged(1, Ms(1100)).Item2);
        Assert.Empty(p.Tick(Ms(2000)).Item2);
    }

    [Fact]
    public void Progress_in_acknowledgements_keeps_the_fence_away()
    {
        var p = Protected(maxInFlight: 3);
        for (int ms = 50; ms <= 3000; ms += 50)
        {
            (p, var actions) = p.Tick(Ms(ms));
            Assert.DoesNotContain(actions, a => a is StopGuest);
            if (p.Taken > 1) (p, _) = p.Acknowledged(p.Taken - 1, Ms(ms + 10)); // one epoch behind, always
        }
        Assert.Equal(ReplicaPhase.Protected, p.Phase);
    }

    [Fact]
    public void Only_the_manager_s_word_that_the_standby_is_gone_lets_the_guest_go_on_alone_with_its_output()
    {
        var p = Protected();
        (p, _) = p.Tick(Ms(50));
        (p, _) = p.Tick(Ms(100));
        (p, var alone) = p.StandbyLost();
        Assert.Equal([new ReleaseOutput(3)], alone); // all held output, the running epoch's too
        Assert.Equal(ReplicaPhase.Degraded, p.Phase);
        Assert.Empty(p.Tick(Ms(5000)).Item2); // no checkpoints, no fence
    }

    [Fact]
    public void Bad_settings_are_refused()
    {
        Assert.Throws<ArgumentOutOfRangeException>(() => PrimaryEpochs.Start(TimeSpan.Zero, TimeSpan.FromSeconds(1)));
        Assert.Throws<ArgumentOutOfRangeException>(() => PrimaryEpochs.Start(Epoch, Epoch));
        Assert.Throws<ArgumentOutOfRangeException>(() => PrimaryEpochs.Start(Epoch, TimeSpan.FromSeconds(1), maxInFlight: 0));
    }

    [Fact]
    public void Checkpoint_0_must_be_acknowledged_in_time_and_a_fenced_guest_runs_again_only_when_the_standby_is_declared_lost()
    {
        var (p, _) = PrimaryEpochs.Start(Epoch, TimeSpan.FromSeconds(1)).SyncCompleted(T0);
        Assert.False(p.StandbyReady);
        (p, var fenced) = p.Tick(Ms(1000)); // checkpoint 0 never acknowledged
        Assert.IsType<StopGuest>(Assert.Single(fenced));
        Assert.Equal(ReplicaPhase.Fenced, p.Phase);
        (p, _) = p.StandbyLost();
        Assert.Equal(ReplicaPhase.Degraded, p.Phase);
        Assert.Empty(p.Tick(Ms(2000)).Item2);
    }
}

using Tern.Actors.Migration.Engine.Replication;
using static Tern.Actors.Migration.Engine.Replication.StandbyAction;

namespace Tern.Actors.Tests.Migration.Replication;

/// <summary>Issue 18, acceptance 4: the standby's checkpoint state machine.</summary>
public sealed class StandbyCheckpointsTests
{
    [Fact]
    public void A_checkpoint_is_applied_and_acknowledged_only_when_complete_and_verified()
    {
        var s = StandbyCheckpoints.AfterSync;
        (s, var begun) = s.Begin(1);
        Assert.Empty(begun);
        Assert.Equal(0, s.Committed);
        (s, var done) = s.Complete(1, verified: true);
        Assert.Equal([new ApplyAndAcknowledge(1)], done);
        Assert.Equal((1L, (long?)null), (s.Committed, s.Staging));
    }

    [Fact]
    public void A_corrupt_checkpoint_is_discarded_the_committed_one_stands_and_a_resync_is_asked()
    {
        var s = StandbyCheckpoints.AfterSync;
        (s, _) = s.Begin(1);
        (s, _) = s.Complete(1, verified: true);
        (s, _) = s.Begin(2);
        (s, var refused) = s.Complete(2, verified: false, "its RAM checksum does not match");
        Assert.Equal(new DiscardStaged(2), refused[0]);
        Assert.Equal("checkpoint 2 refused: its RAM checksum does not match", Assert.IsType<RequestResync>(refused[1]).Why);
        Assert.Equal(1, s.Committed);
    }

    [Fact]
    public void A_checkpoint_out_of_order_or_one_left_unfinished_asks_for_a_resync()
    {
        var (s, skipped) = StandbyCheckpoints.AfterSync.Begin(2);
        Assert.Equal("checkpoint 2 does not follow checkpoint 0", Assert.IsType<RequestResync>(Assert.Single(skipped)).Why);
        (s, _) = s.Begin(1);
        (s, var broken) = s.Begin(2); // 1 never completed: its stream broke
        Assert.Equal([new DiscardStaged(1), new RequestResync("checkpoint 1 ended unfinished")], broken);
        Assert.Equal(0, s.Committed);
    }

    [Fact]
    public void Promotion_resumes_from_the_committed_checkpoint_and_discards_a_staged_one()
    {
        var s = StandbyCheckpoints.AfterSync;
        (s, _) = s.Begin(1);
        (s, _) = s.Complete(1, verified: true);
        (s, _) = s.Begin(2); // arriving when the primary died
        (s, var promoted) = s.Promote();
        Assert.Equal([new DiscardStaged(2), new Resume(1)], promoted);
        // Nothing more is staged or applied once it runs.
        Assert.Empty(s.Begin(3).Item2);
        Assert.Empty(s.Complete(2, verified: true).Item2);
        Assert.Empty(s.Promote().Item2);
    }

    [Fact]
    public void While_syncing_checkpoint_0_comes_first_and_there_is_nothing_to_promote()
    {
        var s = StandbyCheckpoints.Syncing;
        Assert.Throws<InvalidOperationException>(() => s.Promote());
        Assert.IsType<RequestResync>(Assert.Single(s.Begin(1).Item2));
        (s, _) = s.Begin(0);
        (s, var applied) = s.Complete(0, verified: true);
        Assert.Equal([new ApplyAndAcknowledge(0)], applied);
        Assert.Equal([new Resume(0)], s.Promote().Item2);
    }
}

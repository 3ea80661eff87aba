using Akka.Actor;
using Akka.TestKit;
using Tern.Actors.Cluster;
using Tern.Actors.Cluster.Decisions;
using Tern.Actors.Cluster.Host;
using Tern.Actors.Cluster.Protocol;
using Tern.Actors.Migration;
using Tern.Actors.Migration.Engine;
using Tern.Actors.Vm;
using static Tern.Actors.Cluster.NodeProtocol;
using static Tern.Actors.Cluster.Protocol.ClusterProtocol;
using static Tern.Actors.Migration.MigrationProtocol;

namespace Tern.Actors.Tests.Cluster;

/// <summary>
/// Issue 16: a source host's <see cref="OutgoingMigration"/> follows the migration through the
/// events its VM publishes, with a probe as the VM: it passes progress on to the manager and ends
/// from the outcome event, and never polls query-migrate or query-status.
/// </summary>
public sealed class OutgoingMigrationSpec : Akka.TestKit.Xunit2.TestKit
{
    private static readonly TimeSpan Wait = TimeSpan.FromSeconds(10);
    private static readonly StartMigration Order = new("v1", 1, "h2", 2, "127.0.0.1", 4444, 0, 300, 60_000, OnCompletionTimeout.Abort);

    private readonly TestProbe _vm;
    private readonly TestProbe _manager;
    private readonly IActorRef _outgoing;

    public OutgoingMigrationSpec() : base("akka.loglevel = WARNING\nakka.stdout-loglevel = WARNING")
    {
        _vm = CreateTestProbe();
        _manager = CreateTestProbe();
        _outgoing = ChildActorOf(OutgoingMigration.Props(Order, "h1", _vm.Ref, _manager.Ref, Order.Destination)); // its parent: TestActor
        Assert.Equal(_outgoing, _vm.ExpectMsg<VmProtocol.Subscribe>(Wait).Subscriber);
        // Between hosts: no shared RAM offered (a TLS relay would carry no descriptor).
        Assert.False(_vm.ExpectMsg<SetParameters>(Wait).IgnoreShared);
        _vm.Reply(new ParametersReply(new MigrationParameters()));
        Assert.Equal(4444, _vm.ExpectMsg<Migrate>(Wait).Destination.Port);
        _vm.Reply(new MigrateStarted());
    }

    private void Publish(VmEvent e) => _outgoing.Tell(e, _vm.Ref);

    private static MigrationInfo Info(MigrationStatus status, ulong sent, string? error = null) => new(status)
    {
        Round = 1,
        Ram = new RamInfo(sent, 1000, 64 << 20, 0, 0, 0, 0, 800, 1),
        ErrorDesc = error,
    };

    private static VmEvent.MigrationEnded Ended(MigrationResult result, GuestLocation guest, VmRunState state, MigrationInfo info) =>
        new(DateTimeOffset.UtcNow, MigrationSide.Outgoing, result, info.ErrorDesc, guest, state, info);

    [Fact]
    public void Progress_events_reach_the_manager_and_the_outcome_event_ends_the_migration()
    {
        Publish(new VmEvent.MigrationProgress(DateTimeOffset.UtcNow, MigrationSide.Outgoing, Info(MigrationStatus.Active, 4096), true, false, true));
        var progressed = _manager.ExpectMsg<MigrationProgressed>(Wait);
        Assert.Equal(("active", 4096UL, 2L), (progressed.Report.Status, progressed.Report.TransferredBytes, progressed.TargetIncarnation));

        Publish(Ended(MigrationResult.Completed, GuestLocation.MovedAway, VmRunState.PostMigrate, Info(MigrationStatus.Completed, 8192)));

        var ended = ExpectMsg<OutgoingMigration.Ended>(Wait);
        Assert.Equal(("v1", 1L, true), (ended.Name, ended.Incarnation, ended.MovedAway));
        Assert.Equal(("completed", 8192UL, false), (ended.Outcome.Report.Status, ended.Outcome.Report.TransferredBytes, ended.Outcome.GuestStayed));
        _vm.ExpectMsg<VmProtocol.Unsubscribe>(Wait);
        _vm.ExpectNoMsg(TimeSpan.FromMilliseconds(500)); // no query-migrate, no query-status
    }

    [Fact]
    public void A_failure_with_the_guest_running_here_ends_with_the_guest_stayed()
    {
        Publish(Ended(MigrationResult.Failed, GuestLocation.Here, VmRunState.Running, Info(MigrationStatus.Failed, 100, "the destination went away")));

        var ended = ExpectMsg<OutgoingMigration.Ended>(Wait);
        Assert.False(ended.MovedAway);
        Assert.Equal(("failed", "the destination went away", true),
            (ended.Outcome.Report.Status, ended.Outcome.Report.Error, ended.Outcome.GuestStayed));
    }

    [Fact]
    public void Another_migrations_events_and_lifecycle_events_do_not_end_it()
    {
        Publish(new VmEvent.Stopped(DateTimeOffset.UtcNow));
        Publish(new VmEvent.MigrationEnded(DateTimeOffset.UtcNow, MigrationSide.Incoming, MigrationResult.Completed, null,
            GuestLocation.Here, VmRunState.Running, Info(MigrationStatus.Completed, 1)));

        ExpectNoMsg(TimeSpan.FromMilliseconds(500));
    }

    [Fact]
    public void A_vm_that_ends_before_its_outcome_ends_the_migration_failed_and_gone()
    {
        Sys.Stop(_vm.Ref);

        var ended = ExpectMsg<OutgoingMigration.Ended>(Wait);
        Assert.True(ended.MovedAway);
        Assert.Equal(("failed", "the VM stopped answering"), (ended.Outcome.Report.Status, ended.Outcome.Report.Error));
    }
}

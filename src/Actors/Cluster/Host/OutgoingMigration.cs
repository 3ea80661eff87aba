using Akka.Actor;
using Tern.Actors.Cluster.Decisions;
using Tern.Actors.Cluster.Protocol;
using Tern.Actors.Migration;
using Tern.Actors.Migration.Engine;
using Tern.Actors.Vm;
using Tern.Devices.Config;
using static Tern.Actors.Cluster.NodeProtocol;
using static Tern.Actors.Cluster.Protocol.ClusterProtocol;
using static Tern.Actors.Migration.MigrationProtocol;

namespace Tern.Actors.Cluster.Host;

/// <summary>
/// One cluster migration on its source host, a short-lived child of the <see cref="HostActor"/>:
/// sets the VM's migration parameters from the manager's order, starts the migration with itself
/// as the commit approver, relays the switch-over question to the manager (asking again every
/// second until it answers, as the manager may be moving), passes on the progress the VM
/// publishes (<see cref="VmEvent.MigrationProgress"/>, at least twice a second), applies the
/// completion timeout (cancel, or force the switch-over at the next round), and
/// reports the outcome the VM publishes (<see cref="VmEvent.MigrationEnded"/>) to its parent (which
/// passes it on to the manager), then stops. It subscribes to the VM before it starts the
/// migration, so no event of it can be missed, and watches the VM, which may end meanwhile.
/// </summary>
internal sealed class OutgoingMigration : ReceiveActor, IWithTimers
{
    private static readonly TimeSpan AskTimeout = TimeSpan.FromSeconds(5);
    private static readonly TimeSpan CommitRetry = TimeSpan.FromSeconds(1);
    /// <summary>Time for the manager's answer to come back (and for clocks a little apart) before the engine stops waiting.</summary>
    private static readonly TimeSpan CommitAnswerMargin = TimeSpan.FromSeconds(2);

    private readonly StartMigration _order;
    private readonly MigrationEndpoint _destination;
    private readonly string _from;
    private readonly IActorRef _vm;
    private readonly IActorRef _manager;
    private MigrationReport _report;
    private IActorRef? _commitAsker;
    /// <summary>When the engine asked to switch over (default: not yet).</summary>
    private DateTime _commitAskedAt;
    private string? _timeoutReason;

    public ITimerScheduler Timers { get; set; } = null!;

    /// <summary>
    /// To the parent: the migration ended; <paramref name="MovedAway"/> when the guest no longer
    /// runs here. The parent passes <paramref name="Outcome"/> on to the manager before anything it
    /// reports afterwards, so the manager never sees this host's next report without the outcome.
    /// </summary>
    public sealed record Ended(string Name, long Incarnation, bool MovedAway, MigrationOutcome Outcome);

    private sealed record Deadline;
    private sealed record AskCommitAgain;
    private sealed record StartReply(IMigrationMessage? Reply, string Stage);

    /// <param name="destination">Where the VM connects: the order's destination, or this node's TLS relay to it.</param>
    public static Props Props(StartMigration order, string from, IActorRef vm, IActorRef manager, MigrationEndpoint destination) =>
        Akka.Actor.Props.Create(() => new OutgoingMigration(order, from, vm, manager, destination));

    public OutgoingMigration(StartMigration order, string from, IActorRef vm, IActorRef manager, MigrationEndpoint destination)
    {
        _order = order;
        _destination = destination;
        _from = from;
        _vm = vm;
        _manager = manager;
        _report = MigrationReport.Starting(order.Name, from, order.To);

        Receive<StartReply>(OnStartReply);
        Receive<VmEvent.MigrationProgress>(p => p.Side == MigrationSide.Outgoing, OnProgress);
        Receive<VmEvent.MigrationEnded>(e => e.Side == MigrationSide.Outgoing, OnEnded);
        Receive<VmEvent>(_ => { }); // the rest (stop, resume ...) the outcome sums up
        // The VM ended (quit, fenced) before its migration could report an outcome: nothing runs here any more.
        Receive<Terminated>(t => t.ActorRef.Equals(_vm), _ => Finish(Failed("the VM stopped answering"), stayed: false));
        Receive<ApproveCommit>(_ =>
        {
            _commitAsker = Sender;
            _commitAskedAt = DateTime.UtcNow;
            AskCommit();
            Timers.StartPeriodicTimer("commit", new AskCommitAgain(), CommitRetry);
        });
        Receive<AskCommitAgain>(_ => AskCommitWhileAwaited());
        Receive<CommitDecision>(OnCommitDecision);
        Receive<CancelOutgoing>(_ => _vm.Tell(new MigrateCancel()));
        Receive<Deadline>(_ => OnDeadline());
        Receive<CancelAccepted>(_ => { });
        Receive<CancelRefused>(_ => { });
        Receive<ParametersReply>(_ => { });
        Receive<ParametersRefused>(_ => { });
    }

    protected override void PreStart()
    {
        _vm.Tell(new VmProtocol.Subscribe(Self));
        Context.Watch(_vm);
        // Forced: the engine must not give up before the force takes effect, so its own timeout is far later.
        long engineTimeout = _order.OnTimeout == OnCompletionTimeout.Force ? 2 * _order.CompletionTimeoutMs + 60_000 : _order.CompletionTimeoutMs;
        // ForceSwitchover off: a force left over from an earlier migration that failed must not carry over.
        // Shared RAM is handed over only to a target on this host: a relay (the node's TLS) carries no descriptors.
        Ask(new SetParameters(DowntimeLimitMs: _order.DowntimeLimitMs, MaxBandwidth: _order.MaxBandwidth, CompletionTimeoutMs: engineTimeout,
            ForceSwitchover: false, IgnoreShared: _order.UnixSocket is not null), "setting its parameters");
    }

    private void Ask(IMigrationMessage message, string stage) =>
        _vm.Ask<IMigrationMessage>(message, AskTimeout)
            .ContinueWith(t => new StartReply(t.IsCompletedSuccessfully ? t.Result : null, stage))
            .PipeTo(Self);

    private void OnStartReply(StartReply r)
    {
        switch (r.Reply)
        {
            case ParametersReply:
                Ask(new Migrate(_destination, Self), "starting the migration");
                break;
            case MigrateStarted:
                Timers.StartSingleTimer("deadline", new Deadline(), TimeSpan.FromMilliseconds(_order.CompletionTimeoutMs));
                break;
            case ParametersRefused p: Finish(Failed(p.Reason), stayed: true); break;
            case MigrateRefused m: Finish(Failed(m.Reason), stayed: true); break;
            default: Finish(Failed($"the VM did not answer {r.Stage}"), stayed: true); break;
        }
    }

    private MigrationReport Failed(string reason) => _report with { Status = MigrationStatus.Failed.QmpName(), Error = reason };

    private void OnProgress(VmEvent.MigrationProgress p)
    {
        _report = ToReport(p.Info);
        if (!p.Status.IsFinal()) _manager.Tell(new MigrationProgressed(_report, _order.TargetIncarnation));
    }

    private void OnEnded(VmEvent.MigrationEnded e)
    {
        var report = ToReport(e.Info);
        if (_timeoutReason is not null && e.Result != MigrationResult.Completed) report = report with { Error = _timeoutReason };
        // Running here: the switch-over did not happen, so the destination never ran the guest.
        Finish(report, stayed: e.State == VmRunState.Running);
    }

    /// <summary>The last moment an approval can still reach the engine before it stops waiting.</summary>
    private DateTime AnswerBy => _commitAskedAt + MigrationActor.CommitApprovalTimeout - CommitAnswerMargin;

    private void AskCommit() => _manager.Tell(new CommitRequest(_order.Name, _order.TargetIncarnation, AnswerBy));

    /// <summary>
    /// Asks again only while the migration engine still waits for the answer: a commit the manager
    /// stored after the engine gave up would name a host the guest never reached.
    /// </summary>
    private void AskCommitWhileAwaited()
    {
        if (DateTime.UtcNow < AnswerBy) AskCommit();
        else Timers.Cancel("commit");
    }

    private void OnCommitDecision(CommitDecision d)
    {
        if (d.TargetIncarnation != _order.TargetIncarnation || _commitAsker is null) return;
        Timers.Cancel("commit");
        _commitAsker.Tell(d.Approved ? new CommitApproved() : new CommitRefused(d.Reason));
        _commitAsker = null;
    }

    private void OnDeadline()
    {
        if (_commitAskedAt != default) return; // the switch-over is under way
        var seconds = _order.CompletionTimeoutMs / 1000.0;
        if (_order.OnTimeout == OnCompletionTimeout.Force)
            _vm.Tell(new SetParameters(ForceSwitchover: true));
        else
        {
            _timeoutReason = $"did not complete within {seconds:0.#} s (on-timeout = abort)";
            _vm.Tell(new MigrateCancel());
        }
    }

    private MigrationReport ToReport(MigrationInfo info) => new(
        _order.Name, _from, _order.To, info.Status.QmpName(), info.Round,
        info.Ram?.Remaining ?? 0, info.Ram?.Total ?? 0, info.Ram?.Transferred ?? 0, info.Ram?.Mbps ?? 0,
        info.ExpectedDowntimeMs, info.DowntimeMs, info.TotalTimeMs, info.ErrorDesc);

    private void Finish(MigrationReport report, bool stayed)
    {
        _vm.Tell(new VmProtocol.Unsubscribe(Self));
        Context.Parent.Tell(new Ended(_order.Name, _order.Incarnation, MovedAway: !stayed,
            new MigrationOutcome(report, _order.Incarnation, _order.TargetIncarnation, stayed)));
        Context.Stop(Self);
    }
}

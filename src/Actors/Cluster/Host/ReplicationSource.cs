using Akka.Actor;
using Tern.Actors.Migration;
using Tern.Actors.Migration.Engine;
using Tern.Actors.Vm;
using Tern.Devices.Config;
using static Tern.Actors.Cluster.NodeProtocol;
using static Tern.Actors.Migration.MigrationProtocol;

namespace Tern.Actors.Cluster.Host;

/// <summary>
/// A protected VM's replication on its primary's host, a child of the <see cref="HostActor"/> for
/// as long as it runs: sets the epoch and x-colo on the VM, starts the replication (a migration
/// that never switches over), passes the checkpoint figures the VM publishes on to the manager,
/// and reports to its parent how the replication ended, then stops. Told to end
/// (<see cref="EndReplication"/>), it lets the guest go on alone: x-colo-lost-heartbeat once the
/// checkpoints run (which also resumes a guest stopped for a silent standby), a cancel during the
/// initial sync. It subscribes to the VM before it starts anything, so no event is missed. A VM
/// with writable disks copies them into the standby's own (x-colo-disk-copy): the standby's host
/// made one for each (<see cref="Decisions.StandbyDisks"/>).
/// </summary>
internal sealed class ReplicationSource : ReceiveActor
{
    private static readonly TimeSpan AskTimeout = TimeSpan.FromSeconds(5);

    private readonly StartReplication _order;
    private readonly MigrationEndpoint _destination;
    private readonly string _host;
    private readonly IActorRef _vm;
    private readonly IActorRef _manager;
    private readonly bool _copyDisks;
    private bool _started;
    private bool _ending;

    /// <summary>To the parent: the replication ended; the guest runs on here unless the VM itself ended (<paramref name="VmGone"/>).</summary>
    public sealed record Ended(string Name, long Incarnation, long StandbyIncarnation, string Reason, bool VmGone = false);

    private sealed record StartReply(IMigrationMessage? Reply, string Stage);

    public static Props Props(StartReplication order, string host, IActorRef vm, IActorRef manager, MigrationEndpoint destination, bool copyDisks) =>
        Akka.Actor.Props.Create(() => new ReplicationSource(order, host, vm, manager, destination, copyDisks));

    public ReplicationSource(StartReplication order, string host, IActorRef vm, IActorRef manager, MigrationEndpoint destination, bool copyDisks)
    {
        _copyDisks = copyDisks;
        _order = order;
        _host = host;
        _vm = vm;
        _manager = manager;
        _destination = destination;

        Receive<StartReply>(OnStartReply);
        Receive<VmEvent.MigrationProgress>(p => p.Side == MigrationSide.Outgoing, p =>
        {
            if (p.Info.Checkpoints is { } c) _manager.Tell(new ReplicationStatus(_host, _order.Name, _order.Incarnation, false, ReplicationFigures.From(c)));
        });
        Receive<VmEvent.MigrationEnded>(e => e.Side == MigrationSide.Outgoing,
            e => Finish(_ending ? "ended by the manager" : e.Reason ?? $"replication {e.Result.ToString().ToLowerInvariant()}"));
        Receive<VmEvent>(_ => { });
        Receive<Terminated>(t => t.ActorRef.Equals(_vm), _ => Finish("the VM stopped answering", vmGone: true));
        Receive<EndReplication>(_ => End());
        Receive<FailoverStarted>(_ => { });
        // Not replicating yet (or no more): a cancel ends whatever runs.
        Receive<FailoverRefused>(_ => _vm.Tell(new MigrateCancel()));
        Receive<CancelAccepted>(_ => { });
        Receive<CancelRefused>(_ => { });
        Receive<ParametersReply>(_ => { });
        Receive<ParametersRefused>(_ => { });
    }

    protected override void PreStart()
    {
        _vm.Tell(new VmProtocol.Subscribe(Self));
        Context.Watch(_vm);
        Ask(new SetParameters(CheckpointDelayMs: _order.EpochMs, ForceSwitchover: false, IgnoreShared: false), "setting the epoch");
    }

    private void Ask(IMigrationMessage message, string stage) =>
        _vm.Ask<IMigrationMessage>(message, AskTimeout)
            .ContinueWith(t => new StartReply(t.IsCompletedSuccessfully ? t.Result : null, stage))
            .PipeTo(Self);

    private void OnStartReply(StartReply r)
    {
        if (_ending)
        {
            if (r.Reply is MigrateStarted) _vm.Tell(new MigrateCancel());
            else Finish("ended by the manager");
            return;
        }
        switch (r.Reply)
        {
            case ParametersReply when r.Stage == "setting the epoch":
                Ask(SetCapabilities.Colo(on: true, diskCopy: _copyDisks), "setting x-colo");
                break;
            case ParametersReply:
                Ask(new Migrate(_destination), "starting the replication");
                break;
            case MigrateStarted:
                _started = true;
                break;
            case ParametersRefused p: Finish(p.Reason); break;
            case MigrateRefused m: Finish(m.Reason); break;
            default: Finish($"the VM did not answer {r.Stage}"); break;
        }
    }

    /// <summary>
    /// The guest goes on alone. Once checkpoints run, x-colo-lost-heartbeat ends it (a guest
    /// stopped for a silent standby resumes with its held output released); the VM refuses it
    /// during the initial sync, which a cancel ends instead. The VM publishes how it ended; a
    /// replication not started yet ends when its start is answered.
    /// </summary>
    private void End()
    {
        if (_ending) return;
        _ending = true;
        if (_started) _vm.Tell(new LostHeartbeat());
    }

    private void Finish(string reason, bool vmGone = false)
    {
        _vm.Tell(new VmProtocol.Unsubscribe(Self));
        // A later migration of this VM is a plain one: it must not offer the target a replication.
        if (!vmGone) _vm.Tell(SetCapabilities.Colo(on: false));
        Context.Parent.Tell(new Ended(_order.Name, _order.Incarnation, _order.StandbyIncarnation, reason, vmGone));
        Context.Stop(Self);
    }
}

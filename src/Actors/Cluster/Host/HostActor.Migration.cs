using System.Net;
using System.Net.Sockets;
using Akka.Actor;
using Akka.Event;
using Tern.Actors.Cluster.Decisions;
using Tern.Actors.Cluster.Protocol;
using Tern.Actors.Migration.Engine.Transport;
using Tern.Actors.Vm;
using Tern.Devices.Config;
using static Tern.Actors.Cluster.NodeProtocol;
using static Tern.Actors.Cluster.Protocol.ClusterProtocol;

namespace Tern.Actors.Cluster.Host;

/// <summary>
/// The host's side of cluster migrations: as a target it runs an incoming instance listening on a
/// free TCP port of the node's bind address, subscribed to its VM until the VM publishes how the
/// incoming migration ended; as a source it runs an <see cref="OutgoingMigration"/> child per
/// migration and ends its instance once the guest has moved away. A local migration (an upgrade:
/// source and target are this host) listens on an abstract unix socket instead, over which the
/// source hands the guest's RAM over rather than copying it. When its VMs run in VM processes of
/// a TLS cluster, the node carries their migrations' TLS (<see cref="MigrationTlsRelay"/>).
/// </summary>
public sealed partial class HostActor
{
    private sealed record ArrivalChecked(StartMigration Order, IActorRef ReplyTo, VmRunState? State);

    private void MigrationHandlers()
    {
        Receive<PrepareIncoming>(OnPrepareIncoming);
        Receive<StartMigration>(OnStartMigration);
        Receive<CancelOutgoing>(c => { if (_instances.Values.FirstOrDefault(i => i.Name == c.Name && i.Outgoing is not null)?.Outgoing is { } o) o.Forward(c); });
        Receive<OutgoingMigration.Ended>(OnOutgoingEnded);
        Receive<VmEvent.MigrationEnded>(e => e.Side == MigrationSide.Incoming, OnIncomingEnded);
        Receive<VmEvent>(_ => { }); // an incoming VM's progress and lifecycle events: its outcome is what counts
        Receive<ArrivalChecked>(OnArrivalChecked);
    }

    private void OnPrepareIncoming(PrepareIncoming p) => PrepareArrival(p.Definition, p.Incarnation, p.Local, VmRunPhase.Incoming);

    /// <summary>
    /// Starts an instance that waits for a guest from another: a migration's target
    /// (<see cref="VmRunPhase.Incoming"/>) or a protected VM's standby (<see cref="VmRunPhase.Standby"/>),
    /// listening where <see cref="Prepared"/> tells the manager once it has booted.
    /// </summary>
    /// <param name="copies">A standby's own copies of the writable disks, made here before it starts.</param>
    private void PrepareArrival(VmDefinition definition, long incarnation, bool local, VmRunPhase phase, IReadOnlyList<DiskCopyOrder>? copies = null)
    {
        string name = definition.Name;
        if (Current(name, incarnation) is { } prepared)
        {
            if (prepared.Listening is not null && prepared.Phase == phase) Sender.Tell(Prepared(prepared));
            return;
        }
        if (_ended.TryGetValue(name, out var ended) && ended.Incarnation >= incarnation)
        {
            Sender.Tell(new IncomingFailed(_name, name, incarnation, $"instance {ended.Incarnation} of it already ended on {_name}"));
            return;
        }
        // Another instance of it here is the source of a local migration, or stale.
        if (Holding(name) is { } other && !(local && other.Phase == VmRunPhase.Running))
        {
            Sender.Tell(new IncomingFailed(_name, name, incarnation, $"{_name} already runs instance {other.Incarnation} of it"));
            return;
        }
        if (Refusal() is { } refusal)
        {
            Sender.Tell(new IncomingFailed(_name, name, incarnation, refusal));
            return;
        }
        var localEndpoint = LocalEndpoint(incarnation);
        var endpoint = local ? localEndpoint : new MigrationEndpoint(MigrationTransport.Tcp, ListenAddress, FreePort(ListenAddress));
        // A VM process holds no key: in a TLS cluster it listens locally, and this node's relay takes the TLS at the port the source is told.
        MigrationTlsRelay? relay = null;
        if (!local && RelayTls is { } tls)
        {
            try
            {
                relay = MigrationTlsRelay.Incoming(endpoint, tls, localEndpoint, RelayNotice);
            }
            catch (MigrationRefusedException e)
            {
                Sender.Tell(new IncomingFailed(_name, name, incarnation, e.Message));
                return;
            }
        }
        copies ??= [];
        if (MakeDiskCopies(copies) is { } noCopy)
        {
            relay?.Dispose();
            Sender.Tell(new IncomingFailed(_name, name, incarnation, noCopy));
            return;
        }
        definition = StandbyDisks.Apply(definition, copies);
        var config = definition.ToVmConfig(Taps.For(definition, incarnation)) with { IncomingEndpoint = relay is null ? endpoint : localEndpoint };
        var instance = StartInstance(definition, incarnation, config, phase, sameUserAs: local ? Holding(name)?.Files : null);
        instance.Listening = endpoint;
        instance.IncomingRelay = relay;
        instance.DiskCopies = copies;
        // Before any source can connect (the manager hears of the listener only once it is up): a
        // standby accepts a replication, into its own disk copies when it has them.
        if (phase == VmRunPhase.Standby)
            instance.Actor.Tell(Migration.MigrationProtocol.SetCapabilities.Colo(on: true, diskCopy: copies.Count > 0));
        _log.Info("vm {0} (incarnation {1}) waits for its {2} at {3}{4}", name, incarnation, phase == VmRunPhase.Standby ? "primary's replication" : "migration",
            endpoint, relay is null ? "" : " (relayed with TLS)");
    }

    /// <summary>The TLS this node's relays run, when its migrations need them: its VMs run in VM processes of a TLS cluster.</summary>
    private MigrationTls? RelayTls => _settings.VmProcesses is not null && _settings.Tls is { } node ? new MigrationTls(node) : null;

    private void RelayNotice(string line) => _log.Warning("{0}", line);

    /// <summary>
    /// An abstract unix socket named after this node's VM process directory and the incoming
    /// incarnation. Not a file: a VM process that runs as a user of its own cannot enter the
    /// node's data directory. The listener admits only root and its own user (AbstractSocketPeers),
    /// and a local incoming instance runs as its source's user (VmProcessProxy), so only the VM
    /// process whose guest it takes over can connect.
    /// </summary>
    private MigrationEndpoint LocalEndpoint(long incarnation) =>
        new(MigrationTransport.Unix, $"@tern/{NodeTag}/{incarnation.ToString(System.Globalization.CultureInfo.InvariantCulture)}/migration");

    /// <summary>Where the VM process of a migration's (or replication's) source connects to this node's outgoing relay (same rules as <see cref="LocalEndpoint"/>).</summary>
    private MigrationEndpoint OutgoingRelayEndpoint(long incarnation, long targetIncarnation) =>
        new(MigrationTransport.Unix, $"@tern/{NodeTag}/{incarnation.ToString(System.Globalization.CultureInfo.InvariantCulture)}/to-{targetIncarnation.ToString(System.Globalization.CultureInfo.InvariantCulture)}");

    /// <summary>
    /// Where the instance's VM connects to reach <paramref name="target"/>: the target itself, or
    /// in a TLS cluster whose VMs run in processes of their own, this node's relay to it (started
    /// here, kept on the instance). Null with the reason when the relay could not start.
    /// </summary>
    private (MigrationEndpoint? Destination, string? Refusal) OutgoingDestination(VmInstance instance, MigrationEndpoint target, string targetAddress, long targetIncarnation)
    {
        if (target.Transport != MigrationTransport.Tcp || RelayTls is not { } tls) return (target, null);
        try
        {
            // The VM process migrates to this node's relay, which connects to the target with TLS naming its address.
            instance.OutgoingRelay = MigrationTlsRelay.Outgoing(OutgoingRelayEndpoint(instance.Incarnation, targetIncarnation), target, tls with { Hostname = targetAddress }, RelayNotice);
            return (instance.OutgoingRelay.Endpoint, null);
        }
        catch (MigrationRefusedException e)
        {
            return (null, e.Message);
        }
    }

    /// <summary>This node's abstract sockets' common part: a digest of its VM process directory, so two nodes on one machine never meet.</summary>
    private string NodeTag => _nodeTag ??= Convert.ToHexStringLower(
        System.Security.Cryptography.SHA256.HashData(System.Text.Encoding.UTF8.GetBytes(Path.GetFullPath(_settings.VmProcessDirectory))).AsSpan(0, 8));

    private string? _nodeTag;

    /// <summary>This node's VMs' TAPs, named after its tag.</summary>
    private VmTaps Taps => _taps ??= new VmTaps(NodeTag);

    private VmTaps? _taps;

    private IncomingPrepared Prepared(VmInstance instance) => instance.Listening!.Transport == MigrationTransport.Unix
        ? new IncomingPrepared(_name, instance.Name, instance.Incarnation, ListenAddress, 0, instance.Listening.PathOrHost)
        : new IncomingPrepared(_name, instance.Name, instance.Incarnation, ListenAddress, instance.Listening.Port);

    /// <summary>Migration streams go to the address the node's cluster remoting binds (--bind).</summary>
    private string ListenAddress => _cluster.SelfAddress.Host ?? "127.0.0.1";

    /// <summary>A TCP port free on <paramref name="address"/> now (the OS picks it); the VM binds it right after.</summary>
    private static int FreePort(string address)
    {
        var listener = new TcpListener(IPAddress.TryParse(address, out var ip) ? ip : IPAddress.Any, 0);
        listener.Start();
        int port = ((IPEndPoint)listener.LocalEndpoint).Port;
        listener.Stop();
        return port;
    }

    private void OnIncomingListening(VmInstance instance)
    {
        WatchExit(instance);
        _manager.Tell(Prepared(instance));
    }

    /// <summary>
    /// An incoming VM (the sender: VmActors publish as themselves) says how its migration ended:
    /// its guest runs here, or is paused as it was on the source; or nothing arrived, and the VM
    /// ends, which its exit watch reports.
    /// </summary>
    private void OnIncomingEnded(VmEvent.MigrationEnded e)
    {
        if (_instances.Values.FirstOrDefault(i => i.Actor.Equals(Sender)) is not { } instance) return;
        instance.Actor.Tell(new VmProtocol.Unsubscribe(Self));
        if (e.Guest == GuestLocation.Here) MarkArrived(instance.Name, instance.Incarnation, e.State);
    }

    /// <summary>Asks an instance's VM for its run state; <paramref name="toMessage"/> (null state: no answer) comes back to this actor.</summary>
    private void AskRunState(VmInstance instance, Func<VmRunState?, object> toMessage) =>
        instance.Actor.Ask<VmProtocol.Status>(new VmProtocol.QueryStatus(), TimeSpan.FromSeconds(5))
            .ContinueWith(t => toMessage(t.IsCompletedSuccessfully ? t.Result.State : null))
            .PipeTo(Self);

    /// <summary>An incoming instance whose guest runs (or is paused, as it was on the source) has arrived.</summary>
    private void MarkArrived(string name, long incarnation, VmRunState? state)
    {
        // A standby arrives only when promoted: its guest resumed from the last committed checkpoint.
        if (Current(name, incarnation) is not { Phase: VmRunPhase.Incoming or VmRunPhase.Standby } instance) return;
        if (state is not (VmRunState.Running or VmRunState.Paused)) return;
        instance.Phase = VmRunPhase.Running;
        instance.IncomingRelay?.StopAccepting(); // its connections close once the VM process has said its last
        // A promoted standby runs as any VM now: its next migration must not offer a replication.
        if (instance.Promoted) instance.Actor.Tell(Migration.MigrationProtocol.SetCapabilities.Colo(on: false));
        _manager.Tell(new VmStarted(_name, instance.Name, instance.Incarnation));
        _log.Info("vm {0} (incarnation {1}) arrived by {2}", instance.Name, instance.Incarnation, instance.Promoted ? "promotion of its standby" : "migration");
    }

    private void OnStartMigration(StartMigration order)
    {
        if (Current(order.Name, order.Incarnation) is { Phase: VmRunPhase.Incoming } arriving)
        {
            // Moved here moments ago: the order may have overtaken its VM's arrival event, so ask once.
            var replyTo = Sender;
            AskRunState(arriving, state => new ArrivalChecked(order, replyTo, state));
            return;
        }
        if (Current(order.Name, order.Incarnation) is not { Phase: VmRunPhase.Running } instance)
        {
            RefuseStart(order, Sender, $"vm {order.Name} does not run on {_name}");
            return;
        }
        if (instance.Replication is { } replication)
        {
            // A protected VM: the migration supersedes its replication, which ends first (the manager ends it too).
            instance.PendingMigration = (order, Sender);
            replication.Tell(new EndReplication(order.Name, order.Incarnation));
            return;
        }
        var (destination, refusal) = OutgoingDestination(instance, order.Destination, order.Address, order.TargetIncarnation);
        if (destination is null)
        {
            RefuseStart(order, Sender, refusal!);
            return;
        }
        instance.Phase = VmRunPhase.MigratingOut;
        instance.Outgoing = Context.ActorOf(OutgoingMigration.Props(order, _name, instance.Actor, _manager, destination),
            $"migration-{order.Name}-{order.TargetIncarnation}");
        _log.Info("vm {0} migrating to {1} at {2}:{3}", order.Name, order.To, order.Address, order.Port);
    }

    private void OnArrivalChecked(ArrivalChecked c)
    {
        MarkArrived(c.Order.Name, c.Order.Incarnation, c.State);
        if (Current(c.Order.Name, c.Order.Incarnation) is { Phase: VmRunPhase.Running })
            Self.Tell(c.Order, c.ReplyTo);
        else
            RefuseStart(c.Order, c.ReplyTo, $"vm {c.Order.Name} has not finished arriving on {_name}");
    }

    /// <summary>A migration order this host cannot carry out: it ends at once, failed, with the guest where it was.</summary>
    private void RefuseStart(StartMigration order, IActorRef replyTo, string error)
    {
        var report = MigrationReport.Starting(order.Name, _name, order.To) with { Status = "failed", Error = error };
        replyTo.Tell(new MigrationOutcome(report, order.Incarnation, order.TargetIncarnation, GuestStayed: true));
    }

    private void OnOutgoingEnded(OutgoingMigration.Ended ended)
    {
        _manager.Tell(ended.Outcome); // before any report that shows the instance's new phase
        if (Current(ended.Name, ended.Incarnation) is not { } instance) return;
        instance.Outgoing = null;
        instance.OutgoingRelay?.Dispose();
        instance.OutgoingRelay = null;
        if (instance.Phase != VmRunPhase.MigratingOut) return; // already ending (stopped or fenced meanwhile)
        if (ended.MovedAway)
        {
            instance.Phase = VmRunPhase.Running; // so End quits it
            instance.Ending = null; // a stop ordered meanwhile: the guest has gone anyway
            End(instance, VmEndReason.Stopped, "migrated away");
        }
        else
        {
            instance.Phase = VmRunPhase.Running;
            if (instance.Ending is { } stop) End(instance, stop.Reason, stop.Detail); // ordered to stop while it migrated
        }
    }
}

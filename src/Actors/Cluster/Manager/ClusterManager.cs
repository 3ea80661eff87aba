using Akka.Actor;
using Akka.Cluster;
using Akka.Event;
using Akka.Persistence;
using Tern.Actors.Cluster.Decisions;
using Tern.Actors.Cluster.Host;
using Tern.Actors.Cluster.Protocol;
using IClusterMessage = Tern.Actors.Cluster.Protocol.IClusterMessage;
using Tern.Actors.Cluster.Registry;
using static Tern.Actors.Cluster.NodeProtocol;
using static Tern.Actors.Cluster.Protocol.ClusterProtocol;
using static Tern.Actors.Cluster.Registry.ManagerEvents;

namespace Tern.Actors.Cluster.Manager;

/// <summary>
/// The cluster's one decision maker (a cluster singleton) and the keeper of its registry, which it
/// event-sources: every decision is persisted as events before anything acts on it, and on
/// (re)start the registry is the last snapshot plus the journal after it. The decisions are the
/// pure functions in Decisions/; this actor feeds them the registry and what hosts report, persists
/// what they return, replies, and sends hosts their orders.
/// What is not persisted (loads, what each host runs) is rebuilt from the hosts' next reports.
/// </summary>
public sealed partial class ClusterManager : ReceivePersistentActor, IWithTimers
{
    public const string PersistenceIdValue = "tern-cluster-manager";

    private readonly ClusterManagerSettings _settings;
    private readonly ILoggingAdapter _log = Context.GetLogger();
    private readonly EventLog _events;
    private readonly Dictionary<string, HostLoad> _loads = new(StringComparer.Ordinal);
    private readonly Dictionary<string, IReadOnlyList<VmRuntime>> _reported = new(StringComparer.Ordinal);
    private readonly Dictionary<string, IActorRef> _hostActors = new(StringComparer.Ordinal);
    /// <summary>Hosts whose node is leaving the cluster: still up, but no longer a place for VMs.</summary>
    private readonly HashSet<string> _leaving = new(StringComparer.Ordinal);
    /// <summary>Lost hosts whose VMs wait until the time given: their VM processes may still run them (<see cref="OrphanVmWindow"/>).</summary>
    private readonly Dictionary<string, DateTime> _heldUntil = new(StringComparer.Ordinal);
    private ClusterRegistry _registry = ClusterRegistry.Empty;
    private OverloadState _overload = OverloadState.Empty;

    public override string PersistenceId => PersistenceIdValue;

    public ITimerScheduler Timers { get; set; } = null!;

    public static Props Props(ClusterManagerSettings settings) => Akka.Actor.Props.Create(() => new ClusterManager(settings));

    public ClusterManager(ClusterManagerSettings settings)
    {
        _settings = settings;
        _events = new EventLog(settings.EventLogSize);

        Recover<SnapshotOffer>(o => _registry = ClusterRegistry.FromStoredSnapshot(o.Snapshot));
        Recover<IManagerEvent>(Apply);
        Recover<RecoveryCompleted>(_ => OnRecovered());

        Command<GetHosts>(_ => Sender.Tell(new HostList(ClusterViews.Hosts(_registry, _loads))));
        Command<GetVms>(_ => Sender.Tell(new VmList(ClusterViews.Vms(_registry, _reported, _replicationFigures, _protectionProblems, DateTime.UtcNow))));
        Command<GetEvents>(g => Sender.Tell(new EventList(_events.After(g.After))));
        Command<GetApiTokens>(_ => Sender.Tell(new ApiTokenList([.. _registry.Tokens.Values])));
        Command<GetConsole>(OnGetConsole);
        MigrationCommands();
        ProtectionCommands();
        HealthCommands();
        LeaseCommands();
        Command<IManagerCommand>(OnCommand);
        Command<HostReport>(OnHostReport);
        Command<VmStarted>(s => _events.Add(DateTime.UtcNow, s.Adopted
            ? $"vm {s.Name} re-adopted on {s.Host}: its process ran on while the node was away"
            : $"vm {s.Name} running on {s.Host}"));
        Command<VmEnded>(OnVmEnded);
        Command<ClusterEvent.CurrentClusterState>(OnClusterState);
        Command<ClusterEvent.MemberDowned>(OnHostDowned);
        Command<ClusterEvent.MemberRemoved>(r => OnHostGone(r.Member.Address, "removed from the cluster"));
        Command<ClusterEvent.MemberLeft>(l => OnHostLeaving(l.Member.Address));
        Command<ClusterEvent.MemberExited>(e => OnHostLeaving(e.Member.Address));
        Command<Reconcile>(_ => OnReconcile());
        Command<SaveSnapshotSuccess>(s => DeleteSnapshots(new SnapshotSelectionCriteria(s.Metadata.SequenceNr - 1)));
        Command<SaveSnapshotFailure>(f => _log.Warning("registry snapshot failed: {0}", f.Cause.Message));
        Command<DeleteSnapshotsSuccess>(_ => { });
        Command<DeleteSnapshotsFailure>(f => _log.Warning("deleting old registry snapshots failed: {0}", f.Cause.Message));
    }

    private sealed record Reconcile
    {
        public static readonly Reconcile Instance = new();
    }

    private void OnRecovered()
    {
        _events.Add(DateTime.UtcNow, $"cluster manager recovered: {_registry.Vms.Count} VMs, {_registry.Hosts.Count} hosts");
        // Hosts already down whose VMs had not restarted elsewhere yet: their VM processes may still run them.
        foreach (var host in _registry.Hosts.Values.Where(h => !h.Up)) Hold(host.Name, Address.Parse(host.Address), DateTime.UtcNow);
        Akka.Cluster.Cluster.Get(Context.System).Subscribe(Self, ClusterEvent.SubscriptionInitialStateMode.InitialStateAsSnapshot,
            typeof(ClusterEvent.MemberDowned), typeof(ClusterEvent.MemberRemoved), typeof(ClusterEvent.MemberLeft), typeof(ClusterEvent.MemberExited));
        Timers.StartPeriodicTimer("reconcile", Reconcile.Instance, _settings.ReconcileInterval);
    }

    protected override void PostStop()
    {
        Akka.Cluster.Cluster.Get(Context.System).Unsubscribe(Self);
        base.PostStop();
    }

    private void Apply(IManagerEvent e)
    {
        _registry = _registry.Apply(e);
        _events.Add(e.At, e.Describe());
    }

    /// <summary>Persists the events in order, applies each, then runs <paramref name="then"/> once all are stored.</summary>
    private void PersistThen(IReadOnlyList<IManagerEvent> events, Action then)
    {
        events = WithDiskMoves(events);
        if (events.Count == 0)
        {
            then();
            return;
        }
        int remaining = events.Count;
        var before = _registry;
        PersistAll(events, e =>
        {
            Apply(e);
            if (LastSequenceNr % _settings.SnapshotEvery == 0) SaveSnapshot(_registry.ToSnapshot());
            if (--remaining > 0) return;
            ActOnProtection(events, before);
            then();
        });
    }

    private void OnCommand(IManagerCommand command)
    {
        if (command is MigrateVm { ToHost: var to } && Unreachable(to))
        {
            // Not "no room": the target may be back in a moment, and the operator should know why.
            Sender.Tell(new Failed(FailureKind.Unavailable, $"host {to} is unreachable; try again once it is back"));
            return;
        }
        var outcome = ManagerCommands.Decide(_registry, Candidates(), command, DateTime.UtcNow, _settings.MigrationLimits);
        var requester = Sender;
        PersistThen(outcome.Events, () =>
        {
            requester.Tell(outcome.Reply);
            SendOrders();
            BeginMigrations(outcome.Events);
        });
    }

    private void OnGetConsole(GetConsole g)
    {
        if (_registry.Vm(g.Name) is not { } vm)
            Sender.Tell(new Failed(FailureKind.NotFound, $"no VM named '{g.Name}'"));
        else if (vm.Host is null || !_hostActors.TryGetValue(vm.Host, out var host))
            Sender.Tell(new Failed(FailureKind.Conflict, $"vm {g.Name} is not running"));
        else if (Unreachable(vm.Host))
            // Its host would never answer: say so now instead of holding the caller for the API's
            // whole ask timeout, so a follower asks again (and finds the VM restarted elsewhere) soon.
            Sender.Tell(new Failed(FailureKind.Unavailable, $"vm {g.Name}'s host {vm.Host} is unreachable"));
        else
        {
            // Its host may have died a moment ago, before anyone noticed: a reader (a follower) is
            // told so soon and asks again, rather than waiting out the API's whole ask timeout
            // while the VM may already run elsewhere (a promoted standby).
            string hostName = vm.Host;
            host.Ask<object>(new ReadConsole(g.Name, g.From), ConsoleReadTimeout)
                .ContinueWith(t => t.IsCompletedSuccessfully
                    ? t.Result
                    : new Failed(FailureKind.Unavailable, $"vm {g.Name}'s host {hostName} did not answer within {ConsoleReadTimeout.TotalSeconds:0} s"))
                .PipeTo(Sender);
        }
    }

    /// <summary>How long a console read waits for the VM's host (a read is a few KiB from memory).</summary>
    private static readonly TimeSpan ConsoleReadTimeout = TimeSpan.FromSeconds(2);

    private void OnHostReport(HostReport report)
    {
        var known = _registry.Host(report.Host);
        if (known is { Up: true } && known.Address != report.Address && _hostActors.ContainsKey(report.Host))
        {
            Sender.Tell(new HostRejected(report.Host, $"a host named '{report.Host}' is already up at {known.Address}"));
            return;
        }
        var host = Sender;
        bool first = !_hostActors.ContainsKey(report.Host);
        IReadOnlyList<IManagerEvent> joined = known is { Up: true } && known.Address == report.Address
            ? []
            : [new HostJoined(report.Host, report.Address, DateTime.UtcNow)];
        // A node that stopped in order is back: it joined again, or this manager (which may have
        // stopped with it) hears from it for the first time.
        if (joined.Count > 0 || first) joined = [.. joined, .. HealthPlan.OnRejoin(_registry, report.Host, DateTime.UtcNow)];
        PersistThen([.. joined, .. Reconciler.StoppedUnheard(_registry, report.Host, report.Vms, DateTime.UtcNow)], () =>
        {
            // Back within its VMs' wait (a quick node restart): they are still placed here, and the
            // host re-adopts the VM processes that still run them when it gets their orders below.
            if (joined.Count > 0 && _heldUntil.Remove(report.Host)) Timers.Cancel($"held-{report.Host}");
            if (joined.Count > 0) ForgetLeaseRevocation(report.Host);
            _hostActors[report.Host] = host;
            _loads[report.Host] = report.Load;
            _reported[report.Host] = report.Vms;
            _overload = OverloadPolicy.Observe(_overload, _settings.Overload, report.Host, report.Load.CpuLoad, report.Load.At);
            SendOrders(report.Host);
            ProtectionOnReport(report.Host, report.Vms);
            // A new place for VMs: those waiting for a host (a new manager hears from no host at
            // first) need not wait for the periodic reconcile.
            if (first) Self.Tell(Reconcile.Instance);
        });
    }

    private void OnVmEnded(VmEnded ended)
    {
        _events.Add(DateTime.UtcNow, $"vm {ended.Name} ended on {ended.Host}: {ended.Detail}");
        var now = DateTime.UtcNow;
        if (ProtectionPlan.OnStandbyEnded(_registry, ended.Name, ended.Incarnation, $"its standby ended on {ended.Host}: {ended.Detail}", now) is { Count: > 0 } dropped)
        {
            PersistThen(dropped, () => SendOrders());
            return;
        }
        // A discarded incoming instance: its migration's outcome decides, not its end.
        if (ended.Reason == VmEndReason.MigrationDiscarded) return;
        if (_registry.Vm(ended.Name) is not { } vm || vm.Host != ended.Host || vm.Incarnation != ended.Incarnation) return;
        IManagerEvent e = ended.Reason switch
        {
            // Its VMM process or its host's side is gone, not the guest: a synced standby takes over.
            VmEndReason.VmProcessDied or VmEndReason.Fenced when ProtectionPlan.Promotion(_registry, vm.Name, ended.Detail, now) is { } promoted => promoted,
            // A standby told to take over could not: the VM starts again, as after a host's death.
            VmEndReason.PromotionFailed when vm.Desired == DesiredState.Running => new VmUnplaced(vm.Name, ended.Detail, now),
            // The host fenced itself off: the VM must come back elsewhere (or there, later) as a new incarnation.
            VmEndReason.Fenced when vm.Desired == DesiredState.Running => new VmUnplaced(vm.Name, ended.Detail, now),
            // Its VMM process crashed or was killed, not the guest: the VM starts again, as a host's death would have it.
            VmEndReason.VmProcessDied when vm.Desired == DesiredState.Running => new VmUnplaced(vm.Name, ended.Detail, now),
            VmEndReason.BootFailed or VmEndReason.GuestFailed => new VmHalted(vm.Name, vm.Incarnation, ended.Detail, ended.Detail, now),
            _ => new VmHalted(vm.Name, vm.Incarnation, ended.Detail, null, now),
        };
        PersistThen([e], () => SendOrders());
    }

    private void OnClusterState(ClusterEvent.CurrentClusterState state)
    {
        var members = state.Members.Where(m => m.Status != MemberStatus.Removed).Select(m => m.Address.ToString()).ToHashSet();
        foreach (var host in _registry.Hosts.Values.Where(h => h.Up && !members.Contains(h.Address)).ToArray())
            OnHostGone(Address.Parse(host.Address), "not a cluster member when the manager started");
    }

    /// <summary>
    /// A host the Split Brain Resolver downed is gone for good: its VMs restart now, not a second
    /// or two later when the leader removes it (if their VM processes may still be running them, once
    /// those have ended: <see cref="Hold"/>). A host downed while alive has fenced itself already
    /// (fence-after is shorter than stable-after). A manager on the losing side, whose own side is being downed,
    /// does nothing: the majority's manager takes over.
    /// </summary>
    private void OnHostDowned(ClusterEvent.MemberDowned downed)
    {
        var state = Akka.Cluster.Cluster.Get(Context.System).State;
        var members = state.Members.Where(m => m.Status is MemberStatus.Up or MemberStatus.WeaklyUp or MemberStatus.Leaving)
            .Select(m => m.Address).ToList();
        members.Sort(Member.AddressOrdering);
        string self = Akka.Cluster.Cluster.Get(Context.System).SelfAddress.ToString();
        // With a lease, a side downs the other only once it holds the Split Brain Resolver's lease;
        // the side that could not get it downs itself.
        if (_settings.Leases is not null)
        {
            if (state.Members.Any(m => m.Address.ToString() == self && m.Status == MemberStatus.Down)) return;
        }
        else if (SelfFencing.OnLosingSide(members.Select(a => a.ToString()).ToArray(), state.Unreachable.Select(m => m.Address.ToString()).ToHashSet(), self)) return;
        OnHostGone(downed.Member.Address, "downed by the split brain resolver");
    }

    private bool Unreachable(string host) =>
        _registry.Host(host) is { } entry && Akka.Cluster.Cluster.Get(Context.System).State.Unreachable.Any(m => m.Address.ToString() == entry.Address);

    private void OnHostGone(Address address, string why)
    {
        if (_registry.HostAt(address.ToString()) is not { Up: true } host) return;
        _loads.Remove(host.Name);
        _reported.Remove(host.Name);
        _hostActors.Remove(host.Name);
        _leaving.Remove(host.Name);
        var now = DateTime.UtcNow;
        Hold(host.Name, address, now);
        PersistThen([new HostLeft(host.Name, why, now), .. MigrationsLostWith(host.Name, now),
            .. ProtectionPlan.StandbysLostWith(_registry, host.Name, $"host {host.Name} is down", now)], OnReconcile);
    }

    /// <summary>
    /// Keeps a lost host's VMs from restarting elsewhere until its VM processes have surely ended
    /// their guests: <see cref="OrphanVmWindow"/> after this node first saw the host lost.
    /// </summary>
    private void Hold(string host, Address address, DateTime now)
    {
        var until = MemberLossClock.Get(Context.System).LostSince(address) + _settings.HostLossWait;
        if (!_registry.VmsOn(host).Any(v => v.Desired == DesiredState.Running)) return;
        // With a lease, only its revocation (when the hold runs out) proves the VMs stopped.
        if (_settings.Leases is not null)
        {
            _heldUntil[host] = until > now ? until : now;
            if (until > now) Timers.StartSingleTimer($"held-{host}", Reconcile.Instance, until - now);
            _events.Add(now, $"host {host} lost: its VMs restart elsewhere in {Math.Max(0, (until - now).TotalSeconds):0.0} s unless it comes back, once its lease is revoked and has expired");
            return;
        }
        if (until <= now) return;
        _heldUntil[host] = until;
        Timers.StartSingleTimer($"held-{host}", Reconcile.Instance, until - now);
        _events.Add(now, $"host {host} lost: its VMs restart elsewhere in {(until - now).TotalSeconds:0.0} s unless it comes back (its VM processes may still run them)");
    }

    private void OnHostLeaving(Address address)
    {
        if (_registry.HostAt(address.ToString()) is { Up: true } host && _leaving.Add(host.Name))
        {
            _events.Add(DateTime.UtcNow, $"host {host.Name} is leaving the cluster");
            // Its standbys go with it: synced afresh elsewhere.
            PersistThen(ProtectionPlan.StandbysLostWith(_registry, host.Name, $"host {host.Name} is leaving the cluster", DateTime.UtcNow), () => SendOrders());
        }
    }

    /// <summary>Periodic and after a host is lost: quiet migrations given up, homes for homeless VMs, then drains and overload shedding.</summary>
    private void OnReconcile()
    {
        var now = DateTime.UtcNow;
        AbandonSilentMigrations(now);
        foreach (var (host, until) in _heldUntil.ToArray())
            if (until <= now && !LeaseMayHold(host, now)) _heldUntil.Remove(host);
        PersistThen(FailoverPlan.For(_registry, Candidates(), now, _heldUntil.Keys.ToHashSet(StringComparer.Ordinal)), () =>
            PersistThen(ProtectionRepairs(now), () =>
            {
                SendOrders();
                StartPlannedMoves(now);
            }));
    }

    /// <summary>Where VMs and standbys may go now: schedulable hosts neither leaving nor unreachable (one that is may be dying).</summary>
    private IReadOnlyList<HostCandidate> Candidates() =>
        HostCandidate.From(_registry, _loads).Where(h => !_leaving.Contains(h.Name) && !Unreachable(h.Name)).ToArray();

    /// <summary>Sends each reporting host (or just <paramref name="only"/>) what it must start or stop.</summary>
    private void SendOrders(string? only = null)
    {
        foreach (var (host, reported) in _reported)
        {
            if (only is not null && host != only) continue;
            if (!_hostActors.TryGetValue(host, out var actor)) continue;
            foreach (var order in Reconciler.Orders(_registry, host, reported))
                actor.Tell(order switch
                {
                    HostOrder.Run r => new RunInstance(r.Definition, r.Incarnation),
                    HostOrder.Stop s => (IClusterMessage)new StopInstance(s.Name, s.Incarnation),
                    _ => throw new InvalidOperationException(),
                });
        }
    }
}

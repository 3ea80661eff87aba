using Akka.Actor;
using Tern.Actors.Cluster.Decisions;
using Tern.Actors.Cluster.Registry;
using static Tern.Actors.Cluster.NodeProtocol;
using static Tern.Actors.Cluster.Registry.ManagerEvents;

namespace Tern.Actors.Cluster.Manager;

/// <summary>
/// The manager's side of protected VMs (the sequence is in <see cref="NodeProtocol"/>; the
/// decisions in <see cref="ProtectionPlan"/>): it starts the standbys it assigned, connects each
/// primary to its standby once both run, records the first commit, promotes a standby when its
/// primary is lost (the promotion stored before the standby is told), and ends a primary's
/// replication when its standby is dropped. What is not persisted (where a standby listens, the
/// figures) is learnt again from the hosts; a standby that never reports its sync is dropped
/// and synced afresh.
/// </summary>
public sealed partial class ClusterManager
{
    /// <summary>A standby that has not reported for this long while syncing is given up.</summary>
    private static readonly TimeSpan StandbySilentAfter = TimeSpan.FromSeconds(60);

    /// <summary>Where each VM's standby listens, once its host has started it.</summary>
    private readonly Dictionary<string, IncomingPrepared> _standbyListening = new(StringComparer.Ordinal);
    /// <summary>The standby incarnation each primary was told to replicate to.</summary>
    private readonly Dictionary<string, long> _replicationStarted = new(StringComparer.Ordinal);
    /// <summary>Each protected VM's figures as its primary last reported them.</summary>
    private readonly Dictionary<string, ReplicationFigures> _replicationFigures = new(StringComparer.Ordinal);
    /// <summary>When each standby last reported (or was assigned).</summary>
    private readonly Dictionary<string, DateTime> _standbyHeard = new(StringComparer.Ordinal);
    /// <summary>Why each protected VM last lost its standby, for <c>tern ctl vms</c>.</summary>
    private readonly Dictionary<string, string> _protectionProblems = new(StringComparer.Ordinal);

    private void ProtectionCommands()
    {
        Command<ReplicationStatus>(OnReplicationStatus);
        Command<ReplicationEnded>(OnReplicationEnded);
    }

    /// <summary>
    /// After events are stored: starts the standbys just assigned, tells promoted ones to take
    /// over, and ends the replications whose standby is no longer the VM's (dropped, unprotected,
    /// migrating, stopped) while the primary runs on.
    /// </summary>
    private void ActOnProtection(IReadOnlyList<IManagerEvent> events, ClusterRegistry before)
    {
        var now = DateTime.UtcNow;
        foreach (var e in events)
        {
            switch (e)
            {
                case StandbyAssigned a when _registry.StandbyOf(a.Name)?.StandbyIncarnation == a.Incarnation:
                    _standbyHeard[a.Name] = now;
                    _protectionProblems.Remove(a.Name);
                    if (_hostActors.TryGetValue(a.Host, out var standbyHost))
                    {
                        var definition = _registry.Vms[a.Name].Definition;
                        standbyHost.Tell(new PrepareStandby(definition, a.Incarnation, StandbyDisks.For(definition, a.Incarnation, _settings.StandbyDiskCopies)));
                    }
                    break;
                case StandbyPromoted p:
                    _replicationFigures.Remove(p.Name);
                    if (_hostActors.TryGetValue(p.Host, out var promotedHost)) promotedHost.Tell(new PromoteStandby(p.Name, p.Incarnation));
                    break;
                case StandbyDropped d:
                    _protectionProblems[d.Name] = d.Reason;
                    break;
            }
        }
        foreach (var was in before.Protections.Values)
        {
            if (before.StandbyOf(was.Vm) is null || _registry.StandbyOf(was.Vm)?.StandbyIncarnation == was.StandbyIncarnation) continue;
            _standbyListening.Remove(was.Vm);
            _replicationFigures.Remove(was.Vm);
            bool started = _replicationStarted.Remove(was.Vm);
            // Promoted: the old primary is stale and is stopped as such. Otherwise it runs on alone.
            if (_registry.Vm(was.Vm) is { Host: { } host } vm && vm.Incarnation == was.PrimaryIncarnation && _hostActors.TryGetValue(host, out var primary))
            {
                primary.Tell(new EndReplication(was.Vm, was.PrimaryIncarnation));
                if (started) _events.Add(now, $"vm {was.Vm} runs on alone on {host}: its replication to {was.Standby} ends");
            }
        }
    }

    /// <summary>
    /// The events to store for <paramref name="events"/>: after each promotion, the VM's disks
    /// become the standby's copies (<see cref="VmDisksMoved"/>), stored with it so that whoever
    /// restarts, moves or protects the VM next uses them.
    /// </summary>
    private IReadOnlyList<IManagerEvent> WithDiskMoves(IReadOnlyList<IManagerEvent> events)
    {
        if (!events.OfType<StandbyPromoted>().Any()) return events;
        var stored = new List<IManagerEvent>();
        var registry = _registry;
        foreach (var e in events)
        {
            registry = registry.Apply(e);
            stored.Add(e);
            if (e is not StandbyPromoted p || registry.Vm(p.Name) is not { } vm) continue;
            var copies = StandbyDisks.For(vm.Definition, p.Incarnation, _settings.StandbyDiskCopies);
            if (copies.Count == 0) continue;
            var moved = new VmDisksMoved(p.Name, StandbyDisks.Apply(vm.Definition, copies).Disks, p.At);
            registry = registry.Apply(moved);
            stored.Add(moved);
        }
        return stored;
    }

    /// <summary>A standby's listener is up: its primary replicates to it once it runs (see <see cref="StartReplicationWhenReady"/>).</summary>
    private bool OnStandbyPrepared(IncomingPrepared p)
    {
        if (_registry.StandbyOf(p.Name) is not { } standby || standby.StandbyIncarnation != p.Incarnation) return false;
        _standbyListening[p.Name] = p;
        _standbyHeard[p.Name] = DateTime.UtcNow;
        StartReplicationWhenReady(p.Name);
        return true;
    }

    private bool OnStandbyFailed(IncomingFailed f)
    {
        if (_registry.StandbyOf(f.Name) is not { } standby || standby.StandbyIncarnation != f.Incarnation) return false;
        PersistThen([new StandbyDropped(f.Name, f.Incarnation, $"its standby could not start on {f.Host}: {f.Reason}", DateTime.UtcNow)], () => SendOrders());
        return true;
    }

    /// <summary>Tells the primary to replicate once its standby listens and the primary's host reports it running.</summary>
    private void StartReplicationWhenReady(string name)
    {
        if (_registry.StandbyOf(name) is not { } standby || !_standbyListening.TryGetValue(name, out var listening) || listening.Incarnation != standby.StandbyIncarnation) return;
        if (_replicationStarted.TryGetValue(name, out long started) && started == standby.StandbyIncarnation) return;
        if (_registry.Vm(name) is not { Host: { } host } vm || !_hostActors.TryGetValue(host, out var primary)) return;
        if (_reported.GetValueOrDefault(host)?.Any(r => r.Name == name && r.Incarnation == vm.Incarnation && r.Phase == VmRunPhase.Running) != true) return;
        _replicationStarted[name] = standby.StandbyIncarnation;
        primary.Tell(new StartReplication(name, vm.Incarnation, standby.Standby!, standby.StandbyIncarnation, listening.Address, listening.Port, standby.EpochMs));
    }

    private void OnReplicationStatus(ReplicationStatus s)
    {
        var now = DateTime.UtcNow;
        if (!s.Standby)
        {
            if (_registry.Vm(s.Name)?.Incarnation != s.Incarnation || _registry.StandbyOf(s.Name) is null) return;
            _replicationFigures[s.Name] = s.Figures;
            // The primary lost its standby: it goes on alone now (its guest stops after fence-after
            // without commits), unless the standby's own report of the break came first and promoted it.
            if (s.Figures.Broken is { } lost)
                PersistThen(ProtectionPlan.OnPrimaryBroken(_registry, s.Name, s.Incarnation, $"the primary lost it: {lost}", now), () => SendOrders());
            return;
        }
        if (_registry.StandbyOf(s.Name) is not { } standby || standby.StandbyIncarnation != s.Incarnation) return;
        _standbyHeard[s.Name] = now;
        var events = new List<IManagerEvent>();
        if (s.Figures.Committed >= 0) events.AddRange(ProtectionPlan.OnStandbyCommitted(_registry, s.Name, s.Incarnation, now));
        if (s.Figures.Broken is { } broken)
        {
            var after = events.Aggregate(_registry, (r, e) => r.Apply(e));
            events.AddRange(ProtectionPlan.OnStandbyBroken(after, s.Name, s.Incarnation, s.Figures.Refused, $"its primary's stream broke: {broken}", now));
        }
        PersistThen(events, () => SendOrders());
    }

    /// <summary>
    /// A replication the primary's host saw end. One still syncing is dropped, to be synced afresh;
    /// a synced standby whose primary is gone is left to the standby's own report (it takes over).
    /// </summary>
    private void OnReplicationEnded(ReplicationEnded e)
    {
        if (_replicationStarted.TryGetValue(e.Name, out long started) && started == e.StandbyIncarnation) _replicationStarted.Remove(e.Name);
        if (_registry.StandbyOf(e.Name) is not { } standby || standby.StandbyIncarnation != e.StandbyIncarnation) return;
        if (e.PrimaryGone && standby.Synced) return;
        PersistThen([new StandbyDropped(e.Name, e.StandbyIncarnation, $"the replication ended on {e.Host}: {e.Reason}", DateTime.UtcNow)], () => SendOrders());
    }

    /// <summary>The periodic look: standbys for protected VMs without one, and syncs that went silent given up.</summary>
    private IReadOnlyList<IManagerEvent> ProtectionRepairs(DateTime now)
    {
        var events = new List<IManagerEvent>();
        foreach (var p in _registry.Protections.Values)
        {
            if (_registry.StandbyOf(p.Vm) is not { Synced: false } syncing) continue;
            if (!_standbyHeard.TryGetValue(p.Vm, out var heard)) _standbyHeard[p.Vm] = now; // recovered: give it a window
            else if (now - heard > StandbySilentAfter)
                events.Add(new StandbyDropped(p.Vm, syncing.StandbyIncarnation, $"no word of its sync for {StandbySilentAfter.TotalSeconds:0} s", now));
        }
        var after = events.Aggregate(_registry, (r, e) => r.Apply(e));
        events.AddRange(ProtectionPlan.Assign(after, Candidates(), now));
        return events;
    }

    /// <summary>On a host's report: replications that wait for their primary to run, and promotions the host has not acted on.</summary>
    private void ProtectionOnReport(string host, IReadOnlyList<VmRuntime> reported)
    {
        foreach (var vm in _registry.VmsOn(host).Where(v => _registry.StandbyOf(v.Name) is not null)) StartReplicationWhenReady(vm.Name);
        foreach (var r in reported.Where(r => r.Phase == VmRunPhase.Standby))
            if (_registry.Vm(r.Name) is { } vm && vm.Host == host && vm.Incarnation == r.Incarnation && _hostActors.TryGetValue(host, out var actor))
                actor.Tell(new PromoteStandby(r.Name, r.Incarnation));
    }
}

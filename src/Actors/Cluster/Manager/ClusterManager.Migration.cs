using Akka.Actor;
using Tern.Actors.Cluster.Decisions;
using Tern.Actors.Cluster.Protocol;
using Tern.Actors.Cluster.Registry;
using static Tern.Actors.Cluster.NodeProtocol;
using static Tern.Actors.Cluster.Protocol.ClusterProtocol;
using static Tern.Actors.Cluster.Registry.ManagerEvents;

namespace Tern.Actors.Cluster.Manager;

/// <summary>
/// The manager's side of cluster live migration (the sequence is in <see cref="ClusterProtocol"/>):
/// it begins migrations it persisted, connects target and source, approves the switch-over only
/// after the ownership move is persisted, and records how each ended. Ownership rules: before the
/// commit the source owns the VM, so any failure leaves it there; once MigrationEnded(committed)
/// is stored the target does. A commit request the manager never answered (it crashed) is asked
/// again by the source and answered from the recovered registry, so both agree either way.
/// </summary>
public sealed partial class ClusterManager
{
    /// <summary>Each VM's migration as the source last reported it: the one under way, else the last one.</summary>
    private readonly Dictionary<string, MigrationReport> _progress = new(StringComparer.Ordinal);
    /// <summary>When the manager last heard of each migration under way (begun, prepared, progress).</summary>
    private readonly Dictionary<string, DateTime> _lastHeard = new(StringComparer.Ordinal);
    /// <summary>Who asked for each commit being persisted, to refuse if the journal rejects it.</summary>
    private readonly Dictionary<string, (IActorRef Requester, long Incarnation)> _committing = new(StringComparer.Ordinal);

    private void MigrationCommands()
    {
        Command<GetMigration>(OnGetMigration);
        Command<CancelMigration>(OnCancelMigration);
        Command<IncomingPrepared>(OnIncomingPrepared);
        Command<IncomingFailed>(f =>
        {
            if (!OnStandbyFailed(f)) AbandonMigration(f.Name, f.Incarnation, $"the target {f.Host} could not receive it: {f.Reason}");
        });
        Command<MigrationProgressed>(OnProgressed);
        Command<CommitRequest>(OnCommitRequest);
        Command<MigrationOutcome>(OnMigrationOutcome);
    }

    /// <summary>Orders the targets of freshly persisted migrations to prepare their incoming instances.</summary>
    private void BeginMigrations(IEnumerable<IManagerEvent> persisted)
    {
        var now = DateTime.UtcNow;
        foreach (var began in persisted.OfType<MigrationBegan>())
        {
            _progress[began.Name] = MigrationReport.Starting(began.Name, began.From, began.To);
            _lastHeard[began.Name] = now;
            if (_hostActors.TryGetValue(began.To, out var target) && _registry.Vm(began.Name) is { } vm)
                target.Tell(new PrepareIncoming(vm.Definition, began.Incarnation, Local: began.From == began.To));
            else
                AbandonMigration(began.Name, began.Incarnation, $"host {began.To} has not reported");
        }
    }

    private void OnIncomingPrepared(IncomingPrepared p)
    {
        if (OnStandbyPrepared(p)) return;
        if (Current(p.Name, p.Incarnation) is not { } m || _registry.Vm(p.Name) is not { } vm || !_hostActors.TryGetValue(m.From, out var source))
        {
            Sender.Tell(new StopInstance(p.Name, p.Incarnation)); // a migration given up meanwhile
            return;
        }
        _lastHeard[p.Name] = DateTime.UtcNow;
        var run = _settings.Migration;
        source.Tell(new StartMigration(vm.Name, vm.Incarnation, m.To, m.Incarnation, p.Address, p.Port, run.MaxBandwidth,
            (long)run.DowntimeLimit.TotalMilliseconds, (long)run.CompletionTimeout(vm.Definition.MemoryBytes).TotalMilliseconds, run.OnTimeout, p.UnixSocket));
    }

    private void OnProgressed(MigrationProgressed p)
    {
        if (Current(p.Report.Name, p.TargetIncarnation) is null) return;
        _progress[p.Report.Name] = p.Report;
        _lastHeard[p.Report.Name] = DateTime.UtcNow;
    }

    /// <summary>Approves only after MigrationEnded(committed) is in the journal; a repeated request after that is approved again.</summary>
    private void OnCommitRequest(CommitRequest c)
    {
        var requester = Sender;
        if (Current(c.Name, c.TargetIncarnation) is { } m)
        {
            if (_committing.ContainsKey(c.Name)) return; // being persisted; the answer follows
            if (c.AnswerBy < DateTime.UtcNow)
            {
                requester.Tell(new CommitDecision(c.Name, c.TargetIncarnation, false, "the commit request came after the source stopped waiting"));
                return;
            }
            _committing[c.Name] = (requester, c.TargetIncarnation);
            PersistThen([new MigrationEnded(c.Name, true, $"{m.From} -> {m.To}", DateTime.UtcNow)], () =>
            {
                _committing.Remove(c.Name);
                _lastHeard.Remove(c.Name);
                requester.Tell(new CommitDecision(c.Name, c.TargetIncarnation, true, ""));
            });
            return;
        }
        bool committed = _registry.Vm(c.Name) is { } vm && vm.Incarnation == c.TargetIncarnation && vm.Desired == DesiredState.Running;
        requester.Tell(new CommitDecision(c.Name, c.TargetIncarnation, committed, committed ? "" : "the migration was given up"));
    }

    protected override void OnPersistRejected(Exception cause, object @event, long sequenceNr)
    {
        base.OnPersistRejected(cause, @event, sequenceNr);
        if (@event is MigrationEnded { Committed: true } e && _committing.Remove(e.Name, out var pending))
            pending.Requester.Tell(new CommitDecision(e.Name, pending.Incarnation, false, $"the commit could not be stored: {cause.Message}"));
    }

    private void OnMigrationOutcome(MigrationOutcome o)
    {
        var r = o.Report;
        _progress[r.Name] = r;
        _lastHeard.Remove(r.Name);
        var now = DateTime.UtcNow;
        if (r.Status == "completed")
        {
            _events.Add(now, (r.From == r.To ? $"vm {r.Name} moved into a new VMM process on {r.To}" : $"vm {r.Name} moved {r.From} -> {r.To}")
                + $" in {r.TotalTimeMs} ms (guest paused {r.DowntimeMs ?? 0} ms)");
            return;
        }
        IManagerEvent? e = null;
        if (Current(r.Name, o.TargetIncarnation) is not null)
            e = new MigrationEnded(r.Name, false, r.Error ?? r.Status, now);
        else if (o.GuestStayed && _registry.Vm(r.Name) is { } vm && vm.Incarnation == o.TargetIncarnation && vm.Host == r.To)
            // The commit was stored but its approval never reached the source, so the guest never ran
            // on the target: it is still the source's.
            e = new VmPlaced(r.Name, r.From, o.SourceIncarnation, $"the switch-over to {r.To} was not confirmed; the guest stayed on {r.From}", now);
        PersistThen(e is null ? [] : [e], () => SendOrders());
    }

    private void OnGetMigration(GetMigration g)
    {
        if (_progress.TryGetValue(g.Name, out var report))
            Sender.Tell(report);
        else if (_registry.Migrations.TryGetValue(g.Name, out var m))
            Sender.Tell(MigrationReport.Starting(m.Vm, m.From, m.To));
        else
            Sender.Tell(new Failed(FailureKind.NotFound, _registry.Vm(g.Name) is null ? $"no VM named '{g.Name}'" : $"vm {g.Name} has not migrated"));
    }

    private void OnCancelMigration(CancelMigration c)
    {
        if (_registry.Vm(c.Name) is null)
            Sender.Tell(new Failed(FailureKind.NotFound, $"no VM named '{c.Name}'"));
        else if (!_registry.Migrations.TryGetValue(c.Name, out var m))
            Sender.Tell(new Failed(FailureKind.Conflict, $"vm {c.Name} is not migrating"));
        else if (!_hostActors.TryGetValue(m.From, out var source))
        {
            AbandonMigration(c.Name, m.Incarnation, "canceled");
            Sender.Tell(new Done($"vm {c.Name}'s migration canceled"));
        }
        else
        {
            source.Tell(new CancelOutgoing(c.Name, m.Incarnation));
            Sender.Tell(new Done($"canceling vm {c.Name}'s migration to {m.To}"));
        }
    }

    /// <summary>Gives up a migration before its commit: the VM stays on its source; the target's instance is stopped.</summary>
    private void AbandonMigration(string name, long incarnation, string why)
    {
        if (Current(name, incarnation) is not { } m) return;
        if (_hostActors.TryGetValue(m.From, out var source)) source.Tell(new CancelOutgoing(name, incarnation));
        PersistThen([GiveUp(m, why, DateTime.UtcNow)], () => SendOrders());
    }

    /// <summary>The event that ends a migration before its commit; <c>ctl migrate</c> sees it failed with <paramref name="why"/>.</summary>
    private MigrationEnded GiveUp(MigrationEntry m, string why, DateTime now)
    {
        _lastHeard.Remove(m.Vm);
        var last = _progress.GetValueOrDefault(m.Vm) ?? MigrationReport.Starting(m.Vm, m.From, m.To);
        _progress[m.Vm] = last with { Status = "failed", Error = why };
        return new MigrationEnded(m.Vm, false, why, now);
    }

    /// <summary>Migrations whose source has gone quiet (e.g. the manager moved and lost them): given up.</summary>
    private void AbandonSilentMigrations(DateTime now)
    {
        foreach (var m in _registry.Migrations.Values.ToArray())
        {
            if (_committing.ContainsKey(m.Vm)) continue;
            if (!_lastHeard.TryGetValue(m.Vm, out var heard)) _lastHeard[m.Vm] = now; // recovered: give it a window
            else if (now - heard > _settings.Migration.SilentAfter)
                AbandonMigration(m.Vm, m.Incarnation, $"no word from {m.From} for {_settings.Migration.SilentAfter.TotalSeconds:0} s");
        }
    }

    /// <summary>Drains in progress take their next VMs; otherwise overload moves are made. Each persisted, then begun.</summary>
    private void StartPlannedMoves(DateTime now)
    {
        var limits = _settings.MigrationLimits;
        IReadOnlyList<MigrationBegan> began = MigrationStarts.ContinueDrains(_registry, Candidates(), limits, now);
        if (began.Count == 0)
        {
            var planned = OverloadPolicy.Plan(_registry, _overload, _settings.Overload, _loads, _reported, Candidates(), now);
            began = MigrationStarts.Begin(_registry, planned, limits, now);
            var moved = planned.Where(p => began.Any(b => b.Name == p.Vm)).ToArray();
            _overload = OverloadPolicy.Moved(_overload, moved, now);
            foreach (var m in moved) _events.Add(now, $"host {m.From} overloaded: moving vm {m.Vm} to {m.To}");
        }
        PersistThen([.. began], () => BeginMigrations(began));
    }

    /// <summary>The migration of <paramref name="name"/> under way, if it is the one to <paramref name="incarnation"/>.</summary>
    private MigrationEntry? Current(string name, long incarnation) =>
        _registry.Migrations.TryGetValue(name, out var m) && m.Incarnation == incarnation ? m : null;

    /// <summary>Migrations that lose a host before their commit are given up; the VM stays with its source (or fails over with it).</summary>
    private IReadOnlyList<IManagerEvent> MigrationsLostWith(string host, DateTime now)
    {
        return _registry.Migrations.Values.Where(m => m.From == host || m.To == host)
            .Select(m => GiveUp(m, $"host {host} is down", now)).ToArray();
    }
}

using Akka.Actor;
using Tern.Actors.Migration;
using Tern.Actors.Migration.Engine;
using Tern.Actors.Migration.Engine.Snapshot;
using Tern.Actors.Migration.Engine.Transport;
using Tern.Devices.Config;
using static Tern.Actors.Migration.MigrationProtocol;

namespace Tern.Actors.Vm;

/// <summary>The VmActor's side of live migration: starting, cancelling and observing the migration children.</summary>
public sealed partial class VmActor
{
    private IActorRef? _migration;
    private MigrationInfo _migrationInfo = MigrationInfo.None;
    private volatile MigrationParameters _migrationParameters;
    /// <summary>The tls-creds-x509 objects tls-creds may name.</summary>
    private readonly TlsCredsObjects _tls;
    /// <summary>From <see cref="VmProtocol.Boot.PrepareMigration"/>: warm the outgoing path up once the guest runs here.</summary>
    private bool _prepareMigration;
    private VmRunState _stateBeforeMigration;
    private MigrationInfo _infoBeforeMigration = MigrationInfo.None;

    /// <summary>Listens at <paramref name="endpoint"/> before the machine exists (a busy address fails the boot), or later, when deferred (null).</summary>
    private void BootForIncomingMigration(MigrationEndpoint? endpoint)
    {
        if (endpoint is { Transport: MigrationTransport.File })
        {
            RestoreSnapshot(endpoint.PathOrHost);
            return;
        }
        var listener = endpoint is null ? null : MigrationSockets.Listen(endpoint);
        try
        {
            StartMachine(paused: true);
        }
        catch
        {
            if (listener is not null) MigrationSockets.CloseListener(listener, endpoint!);
            throw;
        }
        _state = VmRunState.InMigrate;
        if (listener is not null) StartIncoming(listener, endpoint!);
    }

    /// <summary>
    /// <c>-incoming file:PATH</c>: the machine, built paused, becomes the snapshot's VM before any
    /// vCPU runs; a snapshot that fails a check fails the boot (one line, exit 1).
    /// </summary>
    private void RestoreSnapshot(string path)
    {
        StartMachine(paused: true);
        RestoreInto(path);
    }

    /// <summary>
    /// The machine, built paused and untouched, takes the snapshot at <paramref name="path"/>; it
    /// runs when the guest ran at the save, unless -S. Throws <see cref="SnapshotException"/>.
    /// </summary>
    private void RestoreInto(string path)
    {
        var access = new VmMigrationAccess(_machine!, _vcpus!, guestWasRunning: false);
        var clock = System.Diagnostics.Stopwatch.StartNew();
        bool running = SnapshotLoader.Restore(path, access, MigrationFingerprint.From(_config));
        _migrationInfo = new MigrationInfo(MigrationStatus.Completed) { TotalTimeMs = clock.ElapsedMilliseconds };
        _state = VmRunState.Paused;
        if (!running || _config.StartPaused) return; // -S keeps it paused for `cont`, as QEMU's autostart off does
        ((Tern.Actors.Migration.Engine.Destination.IMigrationDestination)access).ResumeGuest();
        _state = VmRunState.Running;
    }

    /// <summary>
    /// QMP migrate-incoming to <c>file:PATH</c> after <c>-incoming defer</c> (QEMU 8's spelling): a
    /// missing file is refused and the VM goes on waiting; a snapshot that fails a check ends the VM
    /// as a failed incoming migration does (its machine may be half restored).
    /// </summary>
    private void RestoreDeferred(string path)
    {
        if (!File.Exists(path))
        {
            Sender.Tell(new MigrateRefused($"snapshot file '{path}' does not exist"));
            return;
        }
        try
        {
            RestoreInto(path);
        }
        catch (SnapshotException e)
        {
            Sender.Tell(new MigrateRefused(e.Message));
            End(1, $"incoming migration failed: {e.Message}", guest: false, qmpReason: "host-error");
            return;
        }
        Sender.Tell(new MigrateStarted());
        if (_state == VmRunState.Running) Publish(new VmEvent.Resumed(DateTimeOffset.UtcNow));
    }

    /// <summary>QMP migrate-incoming after <c>-incoming defer</c>: listen now, once.</summary>
    private void OnMigrateIncoming(MigrateIncoming m)
    {
        string? refusal = !_config.IncomingDeferred ? "migrate-incoming needs -incoming defer on the command line"
            : _state != VmRunState.InMigrate || _migration is not null ? "the incoming migration has already been started"
            : null;
        if (refusal is null && m.Source.Transport == MigrationTransport.File)
        {
            RestoreDeferred(m.Source.PathOrHost);
            return;
        }
        if (refusal is null)
        {
            try
            {
                StartIncoming(MigrationSockets.Listen(m.Source), m.Source);
            }
            catch (MigrationRefusedException e)
            {
                refusal = e.Message;
            }
        }
        Sender.Tell(refusal is null ? new MigrateStarted() : new MigrateRefused(refusal));
    }

    private void StartIncoming(System.Net.Sockets.Socket listener, MigrationEndpoint endpoint)
    {
        _migrationInfo = new MigrationInfo(MigrationStatus.Setup);
        var access = new VmMigrationAccess(_machine!, _vcpus!, guestWasRunning: false);
        // Read when the source connects: tls-creds set after -incoming (as QEMU's users do) still applies.
        _migration = Context.ActorOf(IncomingMigrationActor.Props(listener, endpoint, access, MigrationFingerprint.From(_config),
            () => _tls.ForDestination(_migrationParameters), standby: () => _migrationParameters.Colo,
            ownDiskCopies: () => _migrationParameters.Colo && _migrationParameters.ColoDiskCopy), "incoming");
        StartMigrationProgress(MigrationSide.Incoming);
    }

    private void MigrationHandlers()
    {
        Receive<Migrate>(OnMigrate);
        Receive<MigrateIncoming>(OnMigrateIncoming);
        Receive<WarmUpMigration>(_ => OnWarmUpMigration());
        Receive<MigrateCancel>(_ => OnMigrateCancel());
        Receive<LostHeartbeat>(_ => OnLostHeartbeat());
        Receive<QueryMigrate>(_ => Sender.Tell(_migrationInfo));
        Receive<QueryParameters>(_ => Sender.Tell(new ParametersReply(_migrationParameters)));
        Receive<SetParameters>(p => ChangeParameters(Apply(_migrationParameters, p)));
        Receive<SetCapabilities>(c => ChangeParameters(Apply(_migrationParameters, c)));
    }

    private void MigrationEventHandlers()
    {
        Receive<Progress>(p => OnMigrationProgress(p.Info, p.NewPass));
        Receive<Finished>(OnMigrationFinished);
        MigrationProgressHandlers();
    }

    /// <summary>Time to warm the outgoing migration path up (<see cref="MigrationWarmUp"/>).</summary>
    private sealed record WarmUpMigration
    {
        public static readonly WarmUpMigration Instance = new();
    }

    private static readonly TimeSpan PrepareMigrationDelay = TimeSpan.FromSeconds(1);

    /// <summary>A second from now, so that the warm-up stays off the guest's boot; a `migrate` sooner pays the cost itself.</summary>
    private void PrepareMigrationSoon()
    {
        if (_prepareMigration) Timers.StartSingleTimer(nameof(WarmUpMigration), WarmUpMigration.Instance, PrepareMigrationDelay);
    }

    /// <summary>
    /// Runs in the handler, blocking the actor for its tens of milliseconds once: the machine
    /// cannot be disposed under the warm-up, and no lifecycle command interleaves with its pause.
    /// </summary>
    private void OnWarmUpMigration()
    {
        if (_machine is null || _vcpus is null || _migration is not null || _state is not (VmRunState.Running or VmRunState.Paused)) return;
        var access = new VmMigrationAccess(_machine, _vcpus, guestWasRunning: _state == VmRunState.Running);
        MigrationWarmUp.RunOnce(MigrationFingerprint.From(_config), access.RehearseSave);
    }

    private void OnMigrate(Migrate m)
    {
        string? refusal = _migration is not null ? "a migration is already running"
            : _state is not (VmRunState.Running or VmRunState.Paused or VmRunState.Saved) ? $"cannot migrate in state {_state.QmpStatus()}"
            : m.Destination.Transport == MigrationTransport.File && _migrationParameters.Colo ? "x-colo replicates into a standby, not a file: use tcp: or unix:"
            : _machine!.Memory.MigrationBlocker is { } blocker ? $"this VM cannot migrate: {blocker}"
            : null;
        MigrationTls? tls = null;
        try
        {
            if (refusal is null) tls = _tls.ForSource(_migrationParameters, m.Destination);
        }
        catch (MigrationRefusedException e)
        {
            refusal = e.Message;
        }
        if (refusal is not null)
        {
            Sender.Tell(new MigrateRefused(refusal));
            return;
        }
        _stateBeforeMigration = _state;
        _infoBeforeMigration = _migrationInfo;
        _migrationInfo = new MigrationInfo(MigrationStatus.Setup);
        _state = VmRunState.Migrating;
        var access = new VmMigrationAccess(_machine!, _vcpus!, guestWasRunning: _stateBeforeMigration == VmRunState.Running);
        if (m.Destination.Transport == MigrationTransport.File)
        {
            _migration = Context.ActorOf(SnapshotSaveActor.Props(m.Destination.PathOrHost, Sender, access, MigrationFingerprint.From(_config),
                () => _migrationParameters), $"snapshot-{Guid.NewGuid():N}");
            StartMigrationProgress(MigrationSide.Outgoing);
            return;
        }
        _migration = Context.ActorOf(MigrationActor.Props(m.Destination, Sender, access, MigrationFingerprint.From(_config),
            () => _migrationParameters, m.CommitApprover, tls), $"migration-{Guid.NewGuid():N}");
        StartMigrationProgress(MigrationSide.Outgoing);
    }

    private void OnMigrateCancel()
    {
        if (_migration is not null && _state == VmRunState.Migrating)
        {
            _migration.Forward(new MigrateCancel());
            return;
        }
        if (_migrationInfo.Status is MigrationStatus.Completed or MigrationStatus.Failed)
            Sender.Tell(new CancelRefused($"Failed to transfer migration status from {_migrationInfo.Status.QmpName()} to canceled."));
        else
            Sender.Tell(new CancelAccepted());
    }

    /// <summary>x-colo-lost-heartbeat: the replication's child (either side) fails over, or there is none.</summary>
    private void OnLostHeartbeat()
    {
        if (_migration is not null && _migrationInfo.Status == MigrationStatus.Colo)
            _migration.Forward(new LostHeartbeat());
        else
            Sender.Tell(new FailoverRefused("no replication (x-colo) is running here"));
    }

    private void OnMigrationProgress(MigrationInfo info, bool newPass)
    {
        var before = _migrationInfo;
        _migrationInfo = info;
        // A replication that breaks is news at once: the cluster may promote the standby on it.
        bool changed = info.Status != before.Status || (info.Checkpoints?.Broken is not null && before.Checkpoints?.Broken is null);
        if (changed || newPass) PublishMigrationProgress(changed, newPass);
    }

    private void OnMigrationFinished(Finished f)
    {
        _migration = null;
        if (f.Info.Status == MigrationStatus.None)
        {
            _state = _stateBeforeMigration; // never connected: as if `migrate` had not been given
            _migrationInfo = _infoBeforeMigration;
            return;
        }
        OnMigrationProgress(f.Info, newPass: false);
        _state = f.Guest switch
        {
            GuestAfterMigration.Unchanged => _stateBeforeMigration,
            GuestAfterMigration.InDoubt or GuestAfterMigration.ArrivedPaused => VmRunState.Paused,
            GuestAfterMigration.MovedAway => VmRunState.PostMigrate,
            GuestAfterMigration.Saved => VmRunState.Saved,
            GuestAfterMigration.Arrived => VmRunState.Running,
            _ => VmRunState.Shutdown, // Discarded: the VM ends below
        };
        PublishMigrationEnded(f);
        switch (f.Guest)
        {
            case GuestAfterMigration.MovedAway:
                _machine?.DiscardMemory();
                break;
            case GuestAfterMigration.Saved:
                _machine?.ResumeDevices(); // paused for the save; the guest stays paused as after `stop`, until `cont`
                break;
            case GuestAfterMigration.Arrived:
                Publish(new VmEvent.Resumed(DateTimeOffset.UtcNow));
                AnnounceWhenRunning();
                PrepareMigrationSoon();
                break;
            case GuestAfterMigration.ArrivedPaused:
                AnnounceWhenRunning();
                PrepareMigrationSoon();
                break;
            case GuestAfterMigration.Discarded:
                End(1, $"incoming migration failed: {f.Info.ErrorDesc}", guest: false, qmpReason: "host-error");
                break;
        }
    }

    private void ChangeParameters(MigrationParameters? next)
    {
        if (next is null) return;
        if (next.Validate() is { } error)
        {
            Sender.Tell(new ParametersRefused(error));
            return;
        }
        if (next.TlsCreds.Length > 0 && !_tls.Contains(next.TlsCreds))
        {
            Sender.Tell(new ParametersRefused($"tls-creds '{next.TlsCreds}' names no tls-creds-x509 object"));
            return;
        }
        _migrationParameters = next;
        Sender.Tell(new ParametersReply(next));
    }

    private MigrationParameters? Apply(MigrationParameters p, SetParameters s) => p with
    {
        DowntimeLimitMs = s.DowntimeLimitMs ?? p.DowntimeLimitMs,
        MaxBandwidth = s.MaxBandwidth ?? p.MaxBandwidth,
        MultifdChannels = s.MultifdChannels ?? p.MultifdChannels,
        CompletionTimeoutMs = s.CompletionTimeoutMs ?? p.CompletionTimeoutMs,
        ThrottleInitialPercent = s.ThrottleInitialPercent ?? p.ThrottleInitialPercent,
        ThrottleIncrementPercent = s.ThrottleIncrementPercent ?? p.ThrottleIncrementPercent,
        ThrottleMaxPercent = s.ThrottleMaxPercent ?? p.ThrottleMaxPercent,
        TlsCreds = s.TlsCreds ?? p.TlsCreds,
        TlsHostname = s.TlsHostname ?? p.TlsHostname,
        ForceSwitchover = s.ForceSwitchover ?? p.ForceSwitchover,
        IgnoreShared = s.IgnoreShared ?? p.IgnoreShared,
        CheckpointDelayMs = s.CheckpointDelayMs ?? p.CheckpointDelayMs,
        ReplicationFenceAfterMs = s.ReplicationFenceAfterMs ?? p.ReplicationFenceAfterMs,
    };

    private MigrationParameters? Apply(MigrationParameters p, SetCapabilities s)
    {
        foreach (var (name, on) in s.Capabilities)
        {
            p = name switch
            {
                "auto-converge" => p with { AutoConverge = on },
                "multifd" => p with { Multifd = on },
                "events" => p with { Events = on },
                "x-ignore-shared" => p with { IgnoreShared = on },
                "x-colo" => p with { Colo = on },
                "x-colo-disk-copy" => p with { ColoDiskCopy = on },
                _ => null!,
            };
            if (p is null)
            {
                Sender.Tell(new ParametersRefused($"unknown migration capability '{name}'"));
                return null;
            }
        }
        return p;
    }
}

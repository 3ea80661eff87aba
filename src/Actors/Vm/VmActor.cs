using System.Runtime.CompilerServices;
using Akka.Actor;
using Tern.Devices.Board;
using Tern.Devices.Config;
using static Tern.Actors.Vm.VcpuGroupProtocol;
using static Tern.Actors.Vm.VmProtocol;

namespace Tern.Actors.Vm;

/// <summary>
/// Owns one VM: its Machine (memory, devices, vCPUs) and its lifecycle state. All control arrives
/// as messages; the rules are in <see cref="VmLifecycle"/>; the vCPU threads live under the child
/// <see cref="VcpuGroupActor"/>. While a pause, resume or reset is under way, other commands wait.
/// </summary>
public sealed partial class VmActor : ReceiveActor, IWithUnboundedStash
{
    private readonly VmConfig _config;
    private readonly MachineConsole _console;
    private readonly VmAudience _audience;
    private Machine? _machine;
    private IActorRef? _vcpus;
    private VmRunState _state = VmRunState.Created;
    private readonly StrongBox<Task<FirstMachine>?> _firstMachine;

    public IStash Stash { get; set; } = null!;

    /// <param name="firstMachine">
    /// The machine for the first boot, built or being built for <paramref name="config"/> before
    /// the actor existed (a standalone process does so before its actor system starts), perhaps already
    /// running (<see cref="FirstMachine.Prepare"/>); null: built at boot.
    /// </param>
    /// <param name="tls">The tls-creds-x509 objects its migrations may use (<see cref="Migration.Engine.Transport.TlsCredsObjects.None"/> when null).</param>
    public static Props Props(VmConfig config, MachineConsole console, Task<FirstMachine>? firstMachine = null,
        Migration.Engine.Transport.TlsCredsObjects? tls = null)
    {
        // Shared by every incarnation of the actor, so that only the first boot takes it.
        var first = new StrongBox<Task<FirstMachine>?>(firstMachine);
        var objects = tls ?? Migration.Engine.Transport.TlsCredsObjects.None;
        return Akka.Actor.Props.Create(() => new VmActor(config, console, first, objects));
    }

    public VmActor(VmConfig config, MachineConsole console, StrongBox<Task<FirstMachine>?> firstMachine,
        Migration.Engine.Transport.TlsCredsObjects tls)
    {
        _config = config;
        _audience = new VmAudience(Context);
        _console = console;
        _firstMachine = firstMachine;
        _tls = tls;
        _migrationParameters = new Migration.Engine.MigrationParameters { TlsCreds = tls.InitialTlsCreds };
        Become(Ready);
    }

    private void Ready()
    {
        Receive<Boot>(OnBoot);
        Receive<Command>(c => OnCommand(c.Kind));
        Receive<QueryStatus>(_ => Sender.Tell(new VmProtocol.Status(_state)));
        Receive<QueryConfig>(_ => Sender.Tell(new ConfigReply(_config)));
        Receive<QueryCpus>(_ => OnQueryCpus());
        MigrationHandlers();
        CommonHandlers();
    }

    /// <summary>Messages every behaviour answers the same way.</summary>
    private void CommonHandlers()
    {
        Receive<WatchExit>(_ => _audience.WatchExit(Sender));
        Receive<Subscribe>(s => _audience.Subscribe(s.Subscriber));
        Receive<Unsubscribe>(s => _audience.Unsubscribe(s.Subscriber));
        Receive<Terminated>(t => _audience.Forget(t.ActorRef)); // a stopped vCPU group needs nothing more
        Receive<VcpuStopped>(OnVcpuStopped);
        MigrationEventHandlers();
        AnnounceHandlers();
    }

    private void OnBoot(Boot boot)
    {
        if (_state != VmRunState.Created)
        {
            Sender.Tell(new BootFailed("the VM has already booted"));
            return;
        }
        try
        {
            _prepareMigration = boot.PrepareMigration;
            if (_config.AwaitsMigration)
            {
                BootForIncomingMigration(_config.IncomingEndpoint);
                Sender.Tell(new Booted());
                return;
            }
            StartMachine(paused: _config.StartPaused);
            _state = _config.StartPaused ? VmRunState.Paused : VmRunState.Running;
            Sender.Tell(new Booted());
            PrepareMigrationSoon();
        }
        catch (Exception e) // whatever stops a boot is its failure to report: the asker waits for an answer
        {
            Sender.Tell(new BootFailed(e.Message, ImageInUse: Causes(e).Any(c => c is Tern.Devices.Virtio.Block.ImageLockedException)));
            _state = VmRunState.Shutdown;
            Context.Stop(Self);
        }
    }

    private static IEnumerable<Exception> Causes(Exception e)
    {
        for (Exception? c = e; c is not null; c = c.InnerException) yield return c;
    }

    private void StartMachine(bool paused)
    {
        var first = TakeFirstMachine();
        _machine = first?.Machine ?? Machine.Create(_config, _console);
        _vcpus = Context.ActorOf(VcpuGroupActor.Props(_machine.Vcpus, _machine.Exits, paused, first?.Running), $"vcpus-{Guid.NewGuid():N}");
        Context.Watch(_vcpus);
    }

    /// <summary>The machine built ahead for the first boot, once (its build's exception, if any, is thrown here).</summary>
    private FirstMachine? TakeFirstMachine() => Interlocked.Exchange(ref _firstMachine.Value, null)?.GetAwaiter().GetResult();

    private void OnQueryCpus()
    {
        if (_vcpus is null)
        {
            Sender.Tell(new Cpus([]));
            return;
        }
        _vcpus.Ask<ThreadIds>(new GetThreadIds(), TimeSpan.FromSeconds(5))
            .ContinueWith(t => t.IsCompletedSuccessfully
                ? new Cpus(t.Result.HostThreadIds.Select((tid, i) => new CpuInfo(i, tid)).ToArray())
                : new Cpus([]))
            .PipeTo(Sender);
    }

    private void OnCommand(VmCommand command)
    {
        switch (VmLifecycle.Decide(_state, command))
        {
            case VmDecision.Refuse r:
                Sender.Tell(new CommandFailed(r.Reason));
                break;
            case VmDecision.NoChange:
                Sender.Tell(new CommandDone());
                break;
            case VmDecision.Pause:
                _vcpus!.Tell(new Pause());
                AwaitTransition<Paused>(Sender, () =>
                {
                    _state = VmRunState.Paused;
                    Publish(new VmEvent.Stopped(DateTimeOffset.UtcNow));
                });
                break;
            case VmDecision.Resume:
                if (RelockDisks() is { } locked)
                {
                    Sender.Tell(new CommandFailed(locked));
                    break;
                }
                _vcpus!.Tell(new Resume());
                AwaitTransition<Resumed>(Sender, () =>
                {
                    _state = VmRunState.Running;
                    Publish(new VmEvent.Resumed(DateTimeOffset.UtcNow));
                    AnnounceIfPending();
                });
                break;
            case VmDecision.Reset:
                ResetMachine(Sender);
                break;
            case VmDecision.PressPowerButton:
                _machine!.PressPowerButton();
                Publish(new VmEvent.Powerdown(DateTimeOffset.UtcNow));
                Sender.Tell(new CommandDone());
                break;
            case VmDecision.End:
                Sender.Tell(new CommandDone());
                End(0, "quit", guest: false, qmpReason: "host-qmp-quit");
                break;
        }
    }

    /// <summary>
    /// A guest left paused by a migration in doubt has let go of its image locks: it runs again only
    /// with them, which fails while the destination holds them. Null when they are held.
    /// </summary>
    private string? RelockDisks()
    {
        try
        {
            _machine!.LockDisks();
            return null;
        }
        catch (MachineException e)
        {
            return e.Message;
        }
    }

    /// <summary>Waits for the group's reply to a pause/resume, stashing other commands meanwhile.</summary>
    private void AwaitTransition<TReply>(IActorRef requester, Action onDone)
    {
        Become(() =>
        {
            Receive<TReply>(_ =>
            {
                onDone();
                requester.Tell(new CommandDone());
                BecomeReady();
            });
            CommonHandlers();
            ReceiveAny(_ => Stash.Stash());
        });
    }

    /// <summary>system_reset: the vCPU threads stop, the machine is rebuilt and boots the kernel again.</summary>
    private void ResetMachine(IActorRef requester)
    {
        bool paused = _state == VmRunState.Paused;
        var oldGroup = _vcpus!;
        Context.Stop(oldGroup);
        Become(() =>
        {
            Receive<Terminated>(t => t.ActorRef.Equals(oldGroup), _ =>
            {
                _machine?.Dispose();
                _machine = null;
                try
                {
                    StartMachine(paused);
                    Publish(new VmEvent.Reset(DateTimeOffset.UtcNow, Guest: false, "host-qmp-system-reset"));
                    requester.Tell(new CommandDone());
                    BecomeReady();
                }
                catch (Exception e) // as in OnBoot: the machine did not come back, whatever the cause
                {
                    requester.Tell(new CommandFailed($"reset failed: {e.Message}"));
                    End(1, $"reset failed: {e.Message}", guest: false, qmpReason: "host-error");
                }
            });
            CommonHandlers();
            ReceiveAny(_ => Stash.Stash());
        });
    }

    private void BecomeReady()
    {
        Become(Ready);
        Stash.UnstashAll();
    }

    private void OnVcpuStopped(VcpuStopped s)
    {
        if (!Sender.Equals(_vcpus)) return; // a group we already replaced
        switch (s.Outcome.Kind)
        {
            case VcpuOutcomeKind.PowerOff: End(0, "guest powered off", guest: true, qmpReason: "guest-shutdown"); break;
            case VcpuOutcomeKind.Reset: End(0, "guest reset", guest: true, qmpReason: "guest-reset"); break;
            default: End(1, VmExited.VcpuFailed(s.VcpuId, s.Outcome.Detail), guest: true, qmpReason: "guest-panic"); break;
        }
    }

    private void End(int exitCode, string reason, bool guest, string qmpReason)
    {
        if (_audience.Exited is not null) return;
        _state = VmRunState.Shutdown;
        Publish(new VmEvent.Shutdown(DateTimeOffset.UtcNow, guest, qmpReason));
        if (_vcpus is not null) Context.Stop(_vcpus);
        _audience.Exit(new VmExited(exitCode, reason));
        BecomeReady();
    }

    private void Publish(VmEvent e) => _audience.Publish(e);

    protected override void PostStop()
    {
        _machine?.Dispose();
        if (Interlocked.Exchange(ref _firstMachine.Value, null) is { IsCompletedSuccessfully: true } unused) unused.Result.Discard(); // never booted
    }
}

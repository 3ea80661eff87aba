using Akka.Actor;
using Akka.Cluster;
using Akka.Event;
using Tern.Actors.Cluster.Protocol;
using Tern.Actors.Vm;
using Tern.Actors.Vm.Process;
using Tern.Devices.Board;
using static Tern.Actors.Cluster.NodeProtocol;
using static Tern.Actors.Cluster.Protocol.ClusterProtocol;

namespace Tern.Actors.Cluster.Host;

/// <summary>
/// One per node: runs the VM instances the ClusterManager orders (each a <see cref="VmActor"/>
/// child whose serial output goes to a <see cref="ConsoleRing"/>), reports its load and instances
/// every few seconds, and answers console reads. Each incarnation runs at most once: a repeated
/// order is ignored, and one for an incarnation that already ended is answered with how it ended.
/// When the node finds itself on the losing side of a partition (or is removed from the cluster)
/// it ends every VM at once, before the majority restarts them elsewhere.
///
/// With VMs in processes of their own, a node that restarts finds the VM processes its previous
/// run left (<see cref="VmOrphans"/>) and re-adopts each one when the manager orders its
/// incarnation to run here, instead of booting it: the guest never notices. Orphans the manager
/// does not want here are left alone; they end their guests themselves (node-gone-after).
/// </summary>
public sealed partial class HostActor : ReceiveActor, IWithTimers
{
    private const int MaxConsoleRead = 64 * 1024;

    private readonly string _name;
    private readonly HostSettings _settings;
    private readonly IActorRef _manager;
    private readonly IHostProbe _probe;
    private readonly Action<string> _onRejected;
    private readonly Akka.Cluster.Cluster _cluster = Akka.Cluster.Cluster.Get(Context.System);
    private readonly ILoggingAdapter _log = Context.GetLogger();
    /// <summary>By incarnation: while a VM moves into a new process on this host (an upgrade) it has two instances here.</summary>
    private readonly Dictionary<long, VmInstance> _instances = [];
    private readonly Dictionary<string, VmEnded> _ended = new(StringComparer.Ordinal);
    private readonly Dictionary<long, VmOrphan> _orphans = [];
    private CpuTicks _lastCpu;
    private bool _fenced;
    /// <summary>This node is down, exiting or removed: it stays fenced whatever it sees next.</summary>
    private bool _leftCluster;
    // This node's own view of the membership, from the events as they arrive (Cluster.State may lag them).
    private readonly Dictionary<Address, Member> _members = [];
    private readonly HashSet<Address> _unreachable = [];

    public ITimerScheduler Timers { get; set; } = null!;

    public static Props Props(string name, HostSettings settings, IActorRef manager, IHostProbe probe, Action<string> onRejected) =>
        Akka.Actor.Props.Create(() => new HostActor(name, settings, manager, probe, onRejected));

    public HostActor(string name, HostSettings settings, IActorRef manager, IHostProbe probe, Action<string> onRejected)
    {
        _name = name;
        _settings = settings;
        _manager = manager;
        _probe = probe;
        _onRejected = onRejected;

        Receive<RunInstance>(OnRun);
        Receive<StopInstance>(OnStop);
        Receive<ReadConsole>(OnReadConsole);
        Receive<HostRejected>(r => _onRejected(r.Reason));
        Receive<BootResult>(OnBootResult);
        Receive<RetryBoot>(OnRetryBoot);
        Receive<InstanceExited>(OnExited);
        Receive<VcpuThreads>(t => { if (Current(t.Name, t.Incarnation) is { } i) i.VcpuThreads = t.ThreadIds; });
        Receive<VmProtocol.CommandDone>(_ => { });
        Receive<VmProtocol.CommandFailed>(f => _log.Warning("stopping a VM failed: {0}", f.Reason));
        Receive<Report>(_ => OnReport());
        Receive<ClusterEvent.UnreachableMember>(u =>
        {
            _unreachable.Add(u.Member.Address);
            CheckSides();
        });
        Receive<ClusterEvent.ReachableMember>(r =>
        {
            _unreachable.Remove(r.Member.Address);
            CheckSides();
        });
        Receive<ClusterEvent.IMemberEvent>(e => OnMemberEvent(e));
        Receive<ClusterEvent.CurrentClusterState>(OnClusterState);
        Receive<FenceCheck>(_ => OnFenceCheck());
        ProtectionHandlers();
        HealthHandlers();
        LeaseHandlers();
        MigrationHandlers();
    }

    private sealed record Report;
    private sealed record FenceCheck;
    private sealed record BootResult(string Name, long Incarnation, VmProtocol.IVmMessage? Reply, string? Error);
    private sealed record RetryBoot(string Name, long Incarnation);
    private sealed record InstanceExited(string Name, long Incarnation, VmProtocol.VmExited Exit);
    private sealed record VcpuThreads(string Name, long Incarnation, IReadOnlyList<int> ThreadIds);

    protected override void PreStart()
    {
        _lastCpu = _probe.CpuTicks();
        if (_settings.VmProcesses is not null) FindOrphans();
        SweepTaps();
        _cluster.Subscribe(Self, ClusterEvent.SubscriptionInitialStateMode.InitialStateAsSnapshot,
            typeof(ClusterEvent.IReachabilityEvent), typeof(ClusterEvent.IMemberEvent));
        Timers.StartPeriodicTimer("report", new Report(), TimeSpan.Zero, _settings.ReportInterval);
        StartHealthChecks();
        StartLease();
    }

    protected override void PostStop() => _cluster.Unsubscribe(Self);

    private VmInstance? Current(string name, long incarnation) =>
        _instances.TryGetValue(incarnation, out var i) && i.Name == name ? i : null;

    /// <summary>
    /// The instance that holds the guest now: of a VM moving into a new process here, the source
    /// until the guest has arrived (the incoming one still waits), then the new one.
    /// </summary>
    private VmInstance? Holding(string name) =>
        _instances.Values.Where(i => i.Name == name).OrderBy(i => i.Phase == VmRunPhase.Incoming).ThenByDescending(i => i.Incarnation).FirstOrDefault();

    private void OnRun(RunInstance run)
    {
        string name = run.Definition.Name;
        if (Refusal() is not null || _instances.Values.Any(i => i.Name == name)) return; // a stale instance is stopped first; the order comes again
        if (_ended.TryGetValue(name, out var ended) && ended.Incarnation >= run.Incarnation)
        {
            if (ended.Incarnation == run.Incarnation) Sender.Tell(ended);
            return;
        }
        var config = run.Definition.ToVmConfig(Taps.For(run.Definition, run.Incarnation));
        if (_orphans.Remove(run.Incarnation, out var orphan) && VmOrphans.IsAlive(orphan))
        {
            StartInstance(run.Definition, run.Incarnation, config, VmRunPhase.Booting, orphan);
            _log.Info("re-adopting vm {0} (incarnation {1}) in its running process {2}", name, run.Incarnation, orphan.Pid);
            return;
        }
        StartInstance(run.Definition, run.Incarnation, config, VmRunPhase.Booting);
        _log.Info("starting vm {0} (incarnation {1})", name, run.Incarnation);
    }

    private void FindOrphans()
    {
        foreach (var orphan in VmOrphans.Find(_settings.VmProcessDirectory, (directory, why) => _log.Info("removed {0}: {1}", directory, why)))
        {
            _orphans[orphan.Incarnation] = orphan;
            _log.Info("VM process {0} (incarnation {1}) still runs; it is re-adopted if the manager wants that incarnation here", orphan.Pid, orphan.Incarnation);
        }
    }

    /// <summary>Removes the TAPs an earlier run of this node left that no VM process still running holds.</summary>
    private void SweepTaps()
    {
        try
        {
            var (removed, failed) = Taps.Sweep(_orphans.Keys.ToHashSet());
            if (removed.Count > 0) _log.Info("removed TAPs of VMs that ended while the node was away: {0}", string.Join(", ", removed));
            foreach (string f in failed) _log.Warning("{0}", f);
        }
        catch (Tern.Kvm.Net.TapException e)
        {
            _log.Warning("could not look for leftover TAPs: {0}", e.Message);
        }
    }

    /// <summary>Removes an ended instance's TAPs (any it may have; none is there for a VM without NICs).</summary>
    private void RemoveTaps(long incarnation)
    {
        foreach (string failed in Taps.Delete(incarnation)) _log.Warning("{0}", failed);
    }

    /// <summary>Forgets the orphans that have ended their guests (nobody re-adopted them) and removes their directories, and the cgroups of those (adopted or not) that have ended.</summary>
    private void PruneOrphans()
    {
        _settings.VmProcesses?.RemoveEnded();
        foreach (var orphan in _orphans.Values.Where(o => !VmOrphans.IsAlive(o)).ToArray())
        {
            _orphans.Remove(orphan.Incarnation);
            VmOrphans.Remove(orphan.Files);
            RemoveTaps(orphan.Incarnation);
        }
    }

    /// <summary>Creates the VmActor of an instance and boots it (an incoming one boots into listening); the result comes back as <see cref="BootResult"/>.</summary>
    /// <param name="orphan">The running VM process to re-adopt instead of booting a new one.</param>
    /// <param name="sameUserAs">The VM process here whose guest it takes over (a local migration), whose user it runs as.</param>
    private VmInstance StartInstance(VmDefinition definition, long incarnation, Tern.Devices.Config.VmConfig config, VmRunPhase phase, VmOrphan? orphan = null,
        VmProcessFiles? sameUserAs = null)
    {
        var instance = new VmInstance(definition, incarnation, config, new ConsoleRing(_settings.ConsoleBufferBytes))
        {
            Orphan = orphan,
            SameUserAs = sameUserAs,
            Phase = phase,
            ContinuesEarlierOutput = phase is VmRunPhase.Incoming or VmRunPhase.Standby,
            ImageWaitUntil = DateTime.UtcNow + _settings.ImageLockWait,
        };
        _instances[incarnation] = instance;
        Launch(instance);
        TellLeaseDeadline(instance);
        return instance;
    }

    private void Launch(VmInstance instance)
    {
        string name = instance.Name;
        long incarnation = instance.Incarnation;
        // With the node's certificate every migration in and out of this host runs TLS, named by the host's address.
        var tls = _settings.Tls is { } node ? Migration.Engine.Transport.TlsCredsObjects.ForNode(node) : null;
        // Context.Stop of an earlier attempt's actor completes later: each attempt has its own name.
        string attempt = instance.BootAttempts == 0 ? $"{incarnation}" : $"{incarnation}-{instance.BootAttempts}";
        string actorName = $"vm-{name}-{attempt}";
        instance.BootAttempts++;
        instance.Files = instance.Orphan?.Files ?? (_settings.VmProcesses is null ? null : new VmProcessFiles(Path.Combine(_settings.VmProcessDirectory, attempt)));
        instance.Actor = Context.ActorOf(
            instance.Orphan is { } orphan ? VmProcessProxy.Adopting(instance.Config, name, orphan, _name, instance.Console)
            : _settings.VmProcesses is { } launcher
                ? VmProcessProxy.Props(instance.Config, name, incarnation, _name, launcher, instance.Files!, instance.Console, instance.SameUserAs)
                : VmActor.Props(instance.Config, new MachineConsole(instance.Console, null), tls: tls), actorName);
        // This host's own rule for files decides, whatever the API that accepted the definition
        // allowed (a re-adopted VM passed it when it booted).
        if (instance.Orphan is null && _settings.Images.Problems(instance.Definition) is { Count: > 0 } refused)
        {
            Self.Tell(new BootResult(name, incarnation, new VmProtocol.BootFailed(string.Join("; ", refused)), null));
            return;
        }
        // Its TAPs, before its process starts and opens them (a re-adopted one has them still).
        if (instance.Orphan is null && instance.Definition.Nics is { Count: > 0 }
            && (CreateTaps(instance) ?? (instance.Phase == VmRunPhase.Standby ? Taps.SetLinks(instance.Definition, incarnation, up: false) : null)) is { } tapsFailed)
        {
            Self.Tell(new BootResult(name, incarnation, new VmProtocol.BootFailed(tapsFailed), null));
            return;
        }
        // Before Boot, so that the arrival cannot come before the subscription (OnIncomingEnded).
        if (instance.Phase is VmRunPhase.Incoming or VmRunPhase.Standby) instance.Actor.Tell(new VmProtocol.Subscribe(Self));
        instance.Actor.Ask<VmProtocol.IVmMessage>(new VmProtocol.Boot(PrepareMigration: true), _settings.BootTimeout)
            .ContinueWith(t => t.IsCompletedSuccessfully
                ? new BootResult(name, incarnation, t.Result, null)
                : new BootResult(name, incarnation, null, $"boot did not answer within {_settings.BootTimeout.TotalSeconds:0} s"))
            .PipeTo(Self);
    }

    /// <summary>Makes the instance's TAPs, owned by the user its VM process becomes; null when done, else why not.</summary>
    private string? CreateTaps(VmInstance instance)
    {
        uint? owner;
        try
        {
            owner = _settings.VmProcesses?.Uid(instance.Incarnation, instance.SameUserAs);
        }
        catch (Exception e) when (e is InvalidOperationException or IOException)
        {
            return $"no user for its VM process: {e.Message}";
        }
        return Taps.Create(instance.Definition, instance.Incarnation, owner, _name);
    }

    private void OnBootResult(BootResult result)
    {
        if (Current(result.Name, result.Incarnation) is not { } instance) return;
        if (result.Reply is not VmProtocol.Booted)
        {
            string reason = result.Reply is VmProtocol.BootFailed f ? f.Reason : result.Error ?? "boot failed";
            Context.Stop(instance.Actor);
            if (MayRetryBoot(instance, result.Reply))
            {
                if (instance.BootAttempts == 1) _log.Info("vm {0} waits for its disk: {1}", instance.Name, reason);
                Timers.StartSingleTimer($"boot-{instance.Name}", new RetryBoot(instance.Name, instance.Incarnation), _settings.ImageLockRetry);
                return;
            }
            bool arriving = instance.Phase is VmRunPhase.Incoming or VmRunPhase.Standby;
            if (arriving) _manager.Tell(new IncomingFailed(_name, instance.Name, instance.Incarnation, reason));
            if (instance.Orphan is not null) Finish(instance, VmEndReason.VmProcessDied, $"its VM process could not be re-adopted: {reason}");
            else Finish(instance, arriving ? VmEndReason.MigrationDiscarded : VmEndReason.BootFailed, $"boot failed: {reason}");
            return;
        }
        if (instance.Phase is VmRunPhase.Incoming or VmRunPhase.Standby)
        {
            OnIncomingListening(instance);
            return;
        }
        var pendingStop = instance.Ending;
        instance.Phase = VmRunPhase.Running;
        _manager.Tell(new VmStarted(_name, instance.Name, instance.Incarnation, Adopted: instance.Orphan is not null));
        WatchExit(instance);
        if (pendingStop is { } stop) End(instance, stop.Reason, stop.Detail);
    }

    /// <summary>
    /// A restarted VM may find its disk still locked by the instance it replaces: a fenced host
    /// ends its VMs before the majority restarts them, but letting go of the guest's memory and
    /// files can lag on a loaded host. The image lock keeps the two from writing at once; waiting
    /// a little lets the restart go on. An incoming migration's destination takes no locks.
    /// </summary>
    private bool MayRetryBoot(VmInstance instance, VmProtocol.IVmMessage? reply) =>
        reply is VmProtocol.BootFailed { ImageInUse: true }
        && instance.Phase == VmRunPhase.Booting && instance.Ending is null && Refusal() is null
        && DateTime.UtcNow + _settings.ImageLockRetry < instance.ImageWaitUntil;

    private void OnRetryBoot(RetryBoot retry)
    {
        if (Current(retry.Name, retry.Incarnation) is not { } instance) return;
        if (instance.Ending is { } ending) Finish(instance, ending.Reason, ending.Detail);
        else Launch(instance);
    }

    private void WatchExit(VmInstance instance)
    {
        string name = instance.Name;
        long incarnation = instance.Incarnation;
        instance.Actor.Ask<VmProtocol.VmExited>(new VmProtocol.WatchExit(), Timeout.InfiniteTimeSpan)
            .PipeTo(Self, success: exit => new InstanceExited(name, incarnation, exit));
    }

    private void OnStop(StopInstance stop)
    {
        if (Current(stop.Name, stop.Incarnation) is not { } instance) return;
        // A migration under way decides where the guest ends up: the order may come from a report
        // sent before it began, so it waits for the migration's outcome (see OnOutgoingEnded).
        if (instance.Phase == VmRunPhase.MigratingOut) instance.Ending ??= (VmEndReason.Stopped, "stopped");
        else End(instance, VmEndReason.Stopped, "stopped");
    }

    /// <summary>Ends an instance (at once, or right after it has booted); its exit is reported when the VM has ended.</summary>
    private void End(VmInstance instance, VmEndReason reason, string detail)
    {
        instance.Ending ??= (reason, detail);
        if (instance.Phase == VmRunPhase.Booting) return;
        if (instance.Phase == VmRunPhase.Stopping) return;
        instance.Phase = VmRunPhase.Stopping;
        instance.Actor.Tell(new VmProtocol.Command(VmCommand.Quit));
    }

    private void OnExited(InstanceExited exited)
    {
        if (Current(exited.Name, exited.Incarnation) is not { } instance) return;
        Context.Stop(instance.Actor); // disposes the machine: guest memory and vCPU fds go back to the host
        var (reason, detail) = instance.Ending
            ?? (instance is { Promoted: true, Phase: VmRunPhase.Standby } ? (VmEndReason.PromotionFailed, $"its standby could not take over: {exited.Exit.Reason}")
                : instance.Phase is VmRunPhase.Incoming or VmRunPhase.Standby ? (VmEndReason.MigrationDiscarded, exited.Exit.Reason)
                : QuitByItself(exited.Exit) ? (VmEndReason.Fenced, $"host {_name}'s lease lapsed: the VM process ended its guest at the deadline")
                : exited.Exit.ProcessDied ? (VmEndReason.VmProcessDied, exited.Exit.Reason)
                : exited.Exit.ExitCode == 0 ? (VmEndReason.GuestPoweredOff, exited.Exit.Reason) : (VmEndReason.GuestFailed, exited.Exit.Reason));
        Finish(instance, reason, detail);
    }

    private void Finish(VmInstance instance, VmEndReason reason, string detail)
    {
        _instances.Remove(instance.Incarnation);
        NoteVmEnd(instance, reason, detail);
        RemoveTaps(instance.Incarnation);
        RemoveDiskCopies(instance);
        instance.IncomingRelay?.Dispose();
        instance.OutgoingRelay?.Dispose();
        var ended = new VmEnded(_name, instance.Name, instance.Incarnation, reason, detail);
        _ended[instance.Name] = ended;
        _manager.Tell(ended);
        _log.Info("vm {0} (incarnation {1}) ended: {2}", instance.Name, instance.Incarnation, detail);
    }

    private void OnReadConsole(ReadConsole read)
    {
        if (Holding(read.Name) is not { } instance)
        {
            // The manager sent this here because its registry places the VM on this host: it has
            // just ended (the report is on its way) or not yet started. Both pass, so a follower
            // asks again rather than giving up.
            Sender.Tell(new Failed(FailureKind.Conflict, $"vm {read.Name} is not running on {_name} at the moment"));
            return;
        }
        var (data, from, next, truncated) = instance.Console.Read(read.From, MaxConsoleRead);
        Sender.Tell(new ConsoleOutput(read.Name, _name, instance.Incarnation, from, next, data, truncated, instance.ContinuesEarlierOutput));
    }

    private void OnReport()
    {
        var now = DateTime.UtcNow;
        var cpu = _probe.CpuTicks();
        double machineLoad = cpu.LoadSince(_lastCpu);
        _lastCpu = cpu;
        PruneOrphans();
        foreach (var instance in _instances.Values) SampleVm(instance, now);
        double load = _settings.LoadSource == HostLoadSource.Machine
            ? machineLoad
            : Math.Min(1.0, _instances.Values.Sum(i => i.Usage.CpuLoad) / _probe.Cpus);
        var (total, available) = _probe.Memory();
        var running = _instances.Values.ToArray();
        var hostLoad = new HostLoad(now, _probe.Cpus, load, total, available, _settings.GuestCapacity(total),
            running.Aggregate(0UL, (sum, i) => sum + i.Definition.MemoryBytes), running.Sum(i => i.Definition.Vcpus));
        _manager.Tell(new HostReport(_name, _cluster.SelfAddress.ToString(), hostLoad, running.Select(i => i.Runtime()).ToArray()), Self);
    }

    /// <summary>The VM's usage since the last report (<see cref="VmCpuAccount"/>); asks for its vCPU thread ids again for next time (a reset replaces them).</summary>
    private void SampleVm(VmInstance instance, DateTime now)
    {
        instance.Usage.Sample(_probe.ThreadTimes(instance.VcpuThreads), _settings.VmProcesses?.Usage(instance.Name, instance.Incarnation), now);
        if (instance.Phase != VmRunPhase.Running) return;
        string name = instance.Name;
        long incarnation = instance.Incarnation;
        instance.Actor.Ask<VmProtocol.Cpus>(new VmProtocol.QueryCpus(), TimeSpan.FromSeconds(5))
            .PipeTo(Self, success: cpus => new VcpuThreads(name, incarnation, cpus.List.Select(c => c.HostThreadId).ToArray()));
    }

    private void OnClusterState(ClusterEvent.CurrentClusterState state)
    {
        foreach (var m in state.Members) Track(m);
        foreach (var m in state.Unreachable) _unreachable.Add(m.Address);
        CheckSides();
    }

    private void OnMemberEvent(ClusterEvent.IMemberEvent e)
    {
        Track(e.Member);
        if (e.Member.Address.Equals(_cluster.SelfAddress) && e.Member.Status is MemberStatus.Down or MemberStatus.Removed or MemberStatus.Exiting)
        {
            _leftCluster = true;
            Fence($"this node is {e.Member.Status.ToString().ToLowerInvariant()} in the cluster");
        }
        else
            CheckSides();
    }

    /// <summary>The members keep-majority counts: up (or weakly up) and leaving ones.</summary>
    private void Track(Member m)
    {
        if (m.Status is MemberStatus.Up or MemberStatus.WeaklyUp or MemberStatus.Leaving) _members[m.Address] = m;
        else
        {
            _members.Remove(m.Address);
            if (m.Status == MemberStatus.Removed) _unreachable.Remove(m.Address);
        }
    }

    /// <summary>Starts (or cancels) the countdown to fencing as this node's side of a partition changes.</summary>
    private void CheckSides()
    {
        if (OnLosingSide())
        {
            if (Timers.IsTimerActive("fence")) return;
            Timers.StartSingleTimer("fence", new FenceCheck(), _settings.FenceAfter);
            TellVmProcesses(new VmChannelMessages.FenceCountdown((long)_settings.FenceAfter.TotalMilliseconds));
        }
        else if (!_leftCluster)
        {
            if (Timers.IsTimerActive("fence")) TellVmProcesses(new VmChannelMessages.FenceCountdown(0));
            Timers.Cancel("fence");
            if (_fenced) _log.Info("the majority is reachable again; accepting VMs");
            _fenced = false;
        }
    }

    /// <summary>
    /// A VM process outlives its node by node-gone-after; while this node counts down to fencing
    /// itself, its VM processes must not outlive that countdown should the node die meanwhile.
    /// </summary>
    private void TellVmProcesses(VmChannelMessages.FenceCountdown countdown)
    {
        if (_settings.VmProcesses is null) return;
        foreach (var instance in _instances.Values) instance.Actor.Tell(countdown);
    }

    private void OnFenceCheck()
    {
        if (OnLosingSide()) Fence("this node lost contact with the majority of the cluster");
    }

    private bool OnLosingSide()
    {
        // With a lease the side that wins the Split Brain Resolver's lease stays, whichever it is.
        if (_settings.Lease is not null) return false;
        // Before this node is up it has no side to lose.
        if (!_members.ContainsKey(_cluster.SelfAddress)) return false;
        var members = _members.Keys.ToList();
        members.Sort(Member.AddressOrdering);
        return SelfFencing.OnLosingSide(
            members.Select(a => a.ToString()).ToArray(),
            _unreachable.Select(a => a.ToString()).ToHashSet(),
            _cluster.SelfAddress.ToString());
    }

    private void Fence(string why)
    {
        if (_fenced) return;
        _fenced = true;
        EndAll(why);
    }

    private void EndAll(string why)
    {
        if (_instances.Count > 0) _log.Warning("{0}: ending {1} VMs", why, _instances.Count);
        foreach (var instance in _instances.Values.ToArray()) End(instance, VmEndReason.Fenced, $"host {_name} fenced itself: {why}");
    }
}

using Akka.Actor;
using Tern.Devices.Board;
using Tern.Kvm;
using static Tern.Actors.Vm.VcpuGroupProtocol;

namespace Tern.Actors.Vm;

/// <summary>
/// Owns the vCPU threads of one VM. The threads run outside the actor (blocked in KVM_RUN); the
/// actor pauses them (kick + wait for every thread to park, off the mailbox) and resumes them,
/// answering a resume once every parked thread is awake again: on a busy host a woken thread can
/// wait for a CPU, and a migration's downtime lasts until the guest really runs.
/// </summary>
public sealed class VcpuGroupActor : ReceiveActor, IWithTimers
{
    private const string WakeTimer = "wake";

    private readonly VcpuThread[] _threads;
    private readonly VcpuThrottle _throttle;
    private readonly HashSet<int> _parked = [];
    private long _firstParkedAt;
    /// <summary>When the last vCPU of the resume under way woke.</summary>
    private long _lastWokeAt;
    private readonly List<IActorRef> _pauseWaiters = [];
    private readonly HashSet<int> _waking = [];
    private readonly List<IActorRef> _resumeWaiters = [];

    public ITimerScheduler Timers { get; set; } = null!;

    /// <summary>Longest a resume waits for its threads to say they woke; a thread that has not by then is answered for anyway.</summary>
    private static readonly TimeSpan WakeWait = TimeSpan.FromSeconds(1);

    /// <summary>A vCPU thread parked (sent from that thread).</summary>
    private sealed record ThreadParked(int VcpuId, long At);

    /// <summary>A parked vCPU thread woke to run the guest (sent from that thread).</summary>
    private sealed record ThreadWoke(int VcpuId, long At);

    private sealed record WakeWaitOver;

    /// <param name="running">vCPU threads already started for these vCPUs, to adopt instead of starting new ones.</param>
    public static Props Props(IReadOnlyList<Vcpu> vcpus, VcpuExitHandler exits, bool startPaused, EarlyVcpus? running = null) =>
        Akka.Actor.Props.Create(() => new VcpuGroupActor(vcpus, exits, startPaused, running));

    public VcpuGroupActor(IReadOnlyList<Vcpu> vcpus, VcpuExitHandler exits, bool startPaused, EarlyVcpus? running)
    {
        var self = Self;
        var parent = Context.Parent;
        Action<int, VcpuOutcome> onStopped = (id, outcome) => parent.Tell(new VcpuStopped(id, outcome), self);
        Action<int, bool> onParking = (id, parked) =>
            self.Tell(parked ? new ThreadParked(id, System.Diagnostics.Stopwatch.GetTimestamp()) : new ThreadWoke(id, System.Diagnostics.Stopwatch.GetTimestamp()));
        var adopted = running?.TryAdopt(onStopped, onParking);
        _threads = adopted ?? vcpus.Select(v => new VcpuThread(v, exits, onStopped, onParking)).ToArray();
        _throttle = new VcpuThrottle(_threads);
        foreach (var t in _threads) t.SetThrottle(() => _throttle.SleepPerKick);
        if (adopted is null)
            foreach (var t in _threads) t.Start(startPaused);

        Receive<Pause>(_ =>
        {
            _pauseWaiters.Add(Sender);
            _parked.Clear();
            foreach (var t in _threads) t.RequestPause();
        });
        Receive<ThreadParked>(p =>
        {
            if (_pauseWaiters.Count == 0 || !_parked.Add(p.VcpuId)) return;
            if (_parked.Count == 1) _firstParkedAt = p.At;
            if (_parked.Count < _threads.Length) return;
            foreach (var w in _pauseWaiters) w.Tell(new Paused(_firstParkedAt));
            _pauseWaiters.Clear();
        });
        Receive<Resume>(_ =>
        {
            _parked.Clear();
            _resumeWaiters.Add(Sender);
            foreach (var t in _threads)
                if (t.IsParked) _waking.Add(t.Id);
            foreach (var t in _threads) t.Resume();
            if (!AnswerResumesOnceAwake()) Timers.StartSingleTimer(WakeTimer, new WakeWaitOver(), WakeWait);
        });
        Receive<ThreadWoke>(w =>
        {
            if (!_waking.Remove(w.VcpuId)) return;
            _lastWokeAt = Math.Max(_lastWokeAt, w.At);
            AnswerResumesOnceAwake();
        });
        Receive<WakeWaitOver>(_ =>
        {
            _waking.Clear();
            AnswerResumesOnceAwake();
        });
        Receive<SetThrottle>(t => _throttle.Set(t.Percent));
        Receive<GetThreadIds>(_ => Sender.Tell(new ThreadIds(_threads.Select(t => t.HostThreadId).ToArray())));
    }

    /// <summary>Answers the waiting resumes when no thread is still waking; returns whether none is.</summary>
    private bool AnswerResumesOnceAwake()
    {
        if (_waking.Count > 0) return false;
        Timers.Cancel(WakeTimer);
        foreach (var w in _resumeWaiters) w.Tell(new Resumed(_lastWokeAt));
        _resumeWaiters.Clear();
        _lastWokeAt = 0;
        return true;
    }

    protected override void PostStop()
    {
        _throttle.Dispose();
        VcpuThread.StopAll(_threads);
    }
}

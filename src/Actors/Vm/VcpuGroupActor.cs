using Akka.Actor;
using Tern.Devices.Board;
using Tern.Kvm;
using static Tern.Actors.Vm.VcpuGroupProtocol;

namespace Tern.Actors.Vm;

/// <summary>
/// Owns the vCPU threads of one VM. The threads run outside the actor (blocked in KVM_RUN); the
/// actor pauses them (kick + wait for every thread to park, off the mailbox) and resumes them.
/// </summary>
public sealed class VcpuGroupActor : ReceiveActor
{
    private readonly VcpuThread[] _threads;
    private readonly VcpuThrottle _throttle;
    private readonly HashSet<int> _parked = [];
    private long _firstParkedAt;
    private readonly List<IActorRef> _pauseWaiters = [];

    /// <summary>A vCPU thread parked (sent from that thread).</summary>
    private sealed record ThreadParked(int VcpuId, long At);

    /// <param name="running">vCPU threads already started for these vCPUs, to adopt instead of starting new ones.</param>
    public static Props Props(IReadOnlyList<Vcpu> vcpus, VcpuExitHandler exits, bool startPaused, EarlyVcpus? running = null) =>
        Akka.Actor.Props.Create(() => new VcpuGroupActor(vcpus, exits, startPaused, running));

    public VcpuGroupActor(IReadOnlyList<Vcpu> vcpus, VcpuExitHandler exits, bool startPaused, EarlyVcpus? running)
    {
        var self = Self;
        var parent = Context.Parent;
        Action<int, VcpuOutcome> onStopped = (id, outcome) => parent.Tell(new VcpuStopped(id, outcome), self);
        Action<int> onParked = id => self.Tell(new ThreadParked(id, System.Diagnostics.Stopwatch.GetTimestamp()));
        var adopted = running?.TryAdopt(onStopped, onParked);
        _threads = adopted ?? vcpus.Select(v => new VcpuThread(v, exits, onStopped, onParked)).ToArray();
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
            foreach (var t in _threads) t.Resume();
            Sender.Tell(new Resumed());
        });
        Receive<SetThrottle>(t => _throttle.Set(t.Percent));
        Receive<GetThreadIds>(_ => Sender.Tell(new ThreadIds(_threads.Select(t => t.HostThreadId).ToArray())));
    }

    protected override void PostStop()
    {
        _throttle.Dispose();
        VcpuThread.StopAll(_threads);
    }
}

using Tern.Devices.Board;
using Tern.Kvm;

namespace Tern.Actors.Vm;

/// <summary>
/// A dedicated OS thread blocked in KVM_RUN for one vCPU. It parks when asked to pause (the
/// request is a kick: immediate_exit plus a signal) and reports the exit that ends it.
/// </summary>
internal sealed class VcpuThread
{
    private readonly Vcpu _vcpu;
    private readonly VcpuExitHandler _exits;
    private readonly Action<int, VcpuOutcome> _onStopped;
    private readonly Action<int, bool> _onParking;
    private readonly ManualResetEventSlim _parked = new(false);
    private readonly ManualResetEventSlim _resume = new(false);
    private readonly Thread _thread;
    private volatile bool _pauseRequested;
    private volatile bool _stopRequested;
    private volatile bool _throttleKick;
    private volatile bool _ended;
    private volatile Func<TimeSpan> _throttleSleep = () => TimeSpan.Zero;

    /// <param name="onParking">
    /// Called on the vCPU thread with true each time it parks (or ends), so a pause can complete
    /// without a waiting thread, and with false when it wakes from a park to run the guest again.
    /// </param>
    public VcpuThread(Vcpu vcpu, VcpuExitHandler exits, Action<int, VcpuOutcome> onStopped, Action<int, bool> onParking)
    {
        _vcpu = vcpu;
        _exits = exits;
        _onStopped = onStopped;
        _onParking = onParking;
        _thread = new Thread(Loop) { IsBackground = true, Name = $"vcpu{vcpu.Id}" };
    }

    public int Id => _vcpu.Id;

    /// <summary>Parked and not ended: a resume will wake it (and it will say so).</summary>
    public bool IsParked => _parked.IsSet && !_ended;

    /// <summary>The host thread id (0 until the thread has entered the guest once).</summary>
    public int HostThreadId => _vcpu.ThreadId;

    public void Start(bool paused)
    {
        _pauseRequested = paused;
        _thread.Start();
    }

    /// <summary>Asks the thread to leave the guest and park; <c>onParked</c> follows once it has (or at once if it already is).</summary>
    public void RequestPause()
    {
        _resume.Reset();
        _pauseRequested = true;
        if (_parked.IsSet) _onParking(Id, true);
        else _vcpu.Kick();
    }

    /// <summary>Auto-converge: the next time this vCPU leaves the guest it sleeps for <see cref="SetThrottle"/>'s time.</summary>
    public void KickForThrottle()
    {
        _throttleKick = true;
        _vcpu.Kick();
    }

    public void SetThrottle(Func<TimeSpan> sleepPerKick) => _throttleSleep = sleepPerKick;

    public void Resume()
    {
        _pauseRequested = false;
        _resume.Set();
    }

    public void Stop()
    {
        _stopRequested = true;
        _pauseRequested = false;
        _resume.Set();
        _vcpu.Kick();
    }

    public bool Join(TimeSpan timeout) => !_thread.IsAlive || _thread.Join(timeout);

    /// <summary>Asks every thread to stop, then waits for each (all kicked first, so they end together).</summary>
    public static void StopAll(IReadOnlyList<VcpuThread> threads)
    {
        foreach (var t in threads) t.Stop();
        foreach (var t in threads) t.Join(TimeSpan.FromSeconds(2));
    }

    private void Loop()
    {
        try
        {
            while (!_stopRequested)
            {
                if (_pauseRequested)
                {
                    _parked.Set();
                    _onParking(Id, true); // may repeat RequestPause's own call: the group counts each vCPU once
                    _resume.Wait();
                    _parked.Reset();
                    _onParking(Id, false); // this thread has a CPU again: the guest runs from here
                    continue;
                }
                var outcome = _exits.Handle(_vcpu, _vcpu.Run());
                if (outcome.Kind == VcpuOutcomeKind.Interrupted && _throttleKick)
                {
                    _throttleKick = false;
                    var sleep = _throttleSleep();
                    if (sleep > TimeSpan.Zero && !_pauseRequested) Thread.Sleep(sleep);
                }
                if (outcome.Kind is VcpuOutcomeKind.Continue or VcpuOutcomeKind.Interrupted) continue;
                _onStopped(_vcpu.Id, outcome);
                return;
            }
        }
        catch (Exception e)
        {
            _onStopped(_vcpu.Id, new VcpuOutcome(VcpuOutcomeKind.Fault, e.Message));
        }
        finally
        {
            _ended = true;
            _parked.Set();
            _onParking(Id, true);
        }
    }
}

using Tern.Devices.Board;
using Tern.Kvm;

namespace Tern.Actors.Vm;

/// <summary>
/// vCPU threads started before their <see cref="VcpuGroupActor"/> exists. A standalone process
/// builds its machine and starts the guest before its actor system, whose start takes longer;
/// the guest runs in the meantime instead of waiting for it. Until a group adopts the threads, a vCPU that stops (a guest
/// that powered off already) is held here and reported to the group once it exists.
/// </summary>
public sealed class EarlyVcpus
{
    private readonly Lock _gate = new();
    private readonly List<EarlyStop> _stoppedBeforeAdoption = [];
    private readonly VcpuThread[] _threads;
    private Action<int, VcpuOutcome>? _onStopped;
    private Action<int, bool>? _onParking;
    private bool _adopted;

    private EarlyVcpus(Machine machine) =>
        _threads = machine.Vcpus.Select(v => new VcpuThread(v, machine.Exits, OnStopped, OnParking)).ToArray();

    /// <summary>Starts every vCPU of <paramref name="machine"/>.</summary>
    public static EarlyVcpus Start(Machine machine)
    {
        var early = new EarlyVcpus(machine);
        foreach (var t in early._threads) t.Start(paused: false);
        return early;
    }

    /// <summary>
    /// Hands the threads to a group: their reports go to it from now on, after the stops that came
    /// before. Null the second time (a restarted group): these threads were stopped with the first.
    /// </summary>
    internal VcpuThread[]? TryAdopt(Action<int, VcpuOutcome> onStopped, Action<int, bool> onParking)
    {
        lock (_gate)
        {
            if (_adopted) return null;
            _adopted = true;
            foreach (var stop in _stoppedBeforeAdoption) onStopped(stop.Id, stop.Outcome);
            _stoppedBeforeAdoption.Clear();
            (_onStopped, _onParking) = (onStopped, onParking);
            return _threads;
        }
    }

    /// <summary>Stops the threads unless a group adopted them (it stops them itself).</summary>
    internal void StopUnadopted()
    {
        lock (_gate)
        {
            if (_adopted) return;
            _adopted = true;
        }
        VcpuThread.StopAll(_threads);
    }

    private void OnStopped(int id, VcpuOutcome outcome)
    {
        Action<int, VcpuOutcome>? report;
        lock (_gate)
        {
            report = _onStopped;
            if (report is null)
            {
                _stoppedBeforeAdoption.Add(new EarlyStop(id, outcome));
                return;
            }
        }
        report(id, outcome);
    }

    /// <summary>A class, so the list of them uses the framework's precompiled shared generic code.</summary>
    private sealed record EarlyStop(int Id, VcpuOutcome Outcome);

    // No pause can be asked for before adoption, so a park before it (a vCPU ending) has no one to tell.
    private void OnParking(int id, bool parked) => Volatile.Read(ref _onParking)?.Invoke(id, parked);
}

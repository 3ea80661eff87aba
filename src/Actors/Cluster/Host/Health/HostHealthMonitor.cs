namespace Tern.Actors.Cluster.Host.Health;

/// <summary>
/// A host's view of its own health (issue 19): on each evaluation it samples the file-based
/// signals (EDAC memory errors, I/O errors of the VM disks' devices, PSI pressure), adds the
/// vCPU failures and the health command's last result the host recorded, and applies hysteresis.
/// Pure but for the files it reads: time comes only from the arguments. Not thread-safe: the
/// HostActor calls it from its mailbox.
/// </summary>
public sealed class HostHealthMonitor
{
    private readonly IReadOnlyList<IHealthSignal> _signals;
    private readonly VcpuFailureSignal _vcpuFailures;
    private readonly HealthHysteresis _hysteresis;
    private readonly OnceWarnings _warnings;
    private (DateTime At, HealthReading Reading)? _command;

    /// <param name="diskPaths">The disk image files of this host's VMs now (may be empty), asked on every evaluation.</param>
    /// <param name="warn">Where problems with the signals' sources go, each said once.</param>
    public HostHealthMonitor(HostHealthSettings settings, Func<IReadOnlyList<string>> diskPaths, Action<string> warn)
    {
        _warnings = new OnceWarnings(warn);
        _vcpuFailures = new VcpuFailureSignal(settings.VcpuFailures);
        _hysteresis = new HealthHysteresis(settings.RecoverAfter);
        var signals = new List<IHealthSignal>();
        if (settings.MemoryErrors is { Corrected: > 0 } or { Uncorrected: > 0 })
            signals.Add(new MemoryErrorSignal(settings.SysfsRoot, settings.MemoryErrors, _warnings));
        if (settings.IoErrors.Threshold > 0)
            signals.Add(new IoErrorSignal(settings.SysfsRoot, settings.IoErrors, diskPaths, _warnings));
        if (settings.Pressure.Memory > 0)
            signals.Add(new PressureSignal("memory", settings.ProcfsRoot, settings.Pressure.Memory, settings.Pressure.SustainFor, _warnings));
        if (settings.Pressure.Io > 0)
            signals.Add(new PressureSignal("io", settings.ProcfsRoot, settings.Pressure.Io, settings.Pressure.SustainFor, _warnings));
        signals.Add(_vcpuFailures);
        _signals = signals;
    }

    /// <summary>The state of the last evaluation; null before the first.</summary>
    public HostHealthState? Current => _hysteresis.Current;

    /// <summary>A VM's vCPU could not go on (KVM internal error, failed entry, triple fault).</summary>
    public void RecordVcpuFailure(DateTime at, string vm, string detail) => _vcpuFailures.Record(at, vm, detail);

    /// <summary>The health command's result (<see cref="HostCommandCheck"/>); it stands until the next. A result older than the one held is late and ignored.</summary>
    public void RecordCommandResult(DateTime at, HealthReading reading)
    {
        if (_command is { } held && at < held.At) return;
        _command = (at, reading);
    }

    public HostHealthState Evaluate(DateTime now)
    {
        var problems = new List<string>();
        foreach (var signal in _signals)
        {
            if (SampleOf(signal, now) is { Bad: true } reading) problems.Add(reading.Reason ?? signal.Name);
        }
        if (_command is { Reading.Bad: true } command) problems.Add(command.Reading.Reason ?? "health command failed");
        return _hysteresis.Next(now, problems);
    }

    // A signal that fails in a way no one foresaw must not take the HostActor down with it, nor
    // make the host look unhealthy: it is said once and reads as good.
    private HealthReading SampleOf(IHealthSignal signal, DateTime now)
    {
        try
        {
            return signal.Sample(now);
        }
        catch (Exception e)
        {
            _warnings.Warn(signal.Name, e.GetType().Name, $"host health: the {signal.Name} signal failed ({e.Message}); ignored");
            return HealthReading.Good;
        }
    }
}

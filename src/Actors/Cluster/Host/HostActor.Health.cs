using Akka.Actor;
using Akka.Event;
using Tern.Actors.Cluster.Host.Health;
using static Tern.Actors.Cluster.NodeProtocol;

namespace Tern.Actors.Cluster.Host;

/// <summary>
/// The host's health checks (issue 19): every tern.host.health.interval it runs the operator's
/// health command (one at a time, in the background), evaluates its <see cref="HostHealthMonitor"/>
/// (memory errors, I/O errors of its VMs' disks, pressure, its VMs' vCPU failures, the command's
/// last result; with hysteresis) and reports where it stands to the manager, which drains a
/// degraded host and takes a recovered one back (<see cref="Decisions.HealthPlan"/>).
/// </summary>
public sealed partial class HostActor
{
    private HostHealthMonitor _health = null!;
    private bool _healthCommandRunning;
    /// <summary>The health command could not start: said once, and not run again.</summary>
    private bool _healthCommandOff;
    private bool? _wasHealthy;

    private sealed record HealthTick;
    private sealed record HealthCommandDone(DateTime At, HealthReading? Reading);

    private void HealthHandlers()
    {
        var log = _log;
        _health = new HostHealthMonitor(_settings.Health, VmDiskPaths, line => log.Warning("{0}", line));
        Receive<HealthTick>(_ => OnHealthTick());
        Receive<HealthCommandDone>(OnHealthCommandDone);
    }

    private void StartHealthChecks() => Timers.StartPeriodicTimer("health", new HealthTick(), _settings.Health.Interval, _settings.Health.Interval);

    /// <summary>The disk images this host's VMs use, whose block devices' I/O errors count.</summary>
    private IReadOnlyList<string> VmDiskPaths() =>
        [.. _instances.Values.SelectMany(i => i.Definition.Disks.Select(d => d.Path)).Distinct(StringComparer.Ordinal)];

    private void OnHealthTick()
    {
        var now = DateTime.UtcNow;
        if (_settings.Health.Command is { Length: > 0 } command && !_healthCommandOff && !_healthCommandRunning)
        {
            _healthCommandRunning = true;
            var log = _log;
            HostCommandCheck.RunAsync(command, _settings.Health.CommandTimeout, line => log.Warning("{0}", line))
                .ContinueWith(t => new HealthCommandDone(DateTime.UtcNow, t.Result))
                .PipeTo(Self);
        }
        var state = _health.Evaluate(now);
        if (state.Healthy != _wasHealthy && _wasHealthy is not null)
        {
            if (state.Healthy) _log.Info("host {0} is healthy again", _name);
            else _log.Warning("host {0} is degraded: {1}", _name, state.Reason);
        }
        _wasHealthy = state.Healthy;
        _manager.Tell(new HostHealthReport(_name, state.Healthy, state.Reason));
    }

    private void OnHealthCommandDone(HealthCommandDone done)
    {
        _healthCommandRunning = false;
        if (done.Reading is null) _healthCommandOff = true;
        else _health.RecordCommandResult(done.At, done.Reading);
    }

    /// <summary>A VM of this host ended because a vCPU could not go on: a sign of the host as much as of the guest.</summary>
    private void NoteVmEnd(VmInstance instance, VmEndReason reason, string detail)
    {
        if (reason == VmEndReason.GuestFailed && Vm.VmProtocol.VmExited.IsVcpuFailure(detail))
            _health.RecordVcpuFailure(DateTime.UtcNow, instance.Name, detail);
    }
}

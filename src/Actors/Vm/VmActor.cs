using Akka.Actor;
using Tern.Devices.Board;
using Tern.Devices.Config;
using static Tern.Actors.Vm.VcpuGroupProtocol;
using static Tern.Actors.Vm.VmProtocol;

namespace Tern.Actors.Vm;

/// <summary>
/// Owns one VM: its Machine (memory, devices, vCPUs) and its lifecycle. All control arrives as
/// messages; the vCPU threads live under the child <see cref="VcpuGroupActor"/>.
/// </summary>
public sealed class VmActor : ReceiveActor
{
    private readonly VmConfig _config;
    private readonly MachineConsole _console;
    private readonly List<IActorRef> _exitWatchers = [];
    private Machine? _machine;
    private IActorRef? _vcpus;
    private VmExited? _exited;

    public static Props Props(VmConfig config, MachineConsole console) =>
        Akka.Actor.Props.Create(() => new VmActor(config, console));

    public VmActor(VmConfig config, MachineConsole console)
    {
        _config = config;
        _console = console;

        Receive<Boot>(_ => OnBoot());
        Receive<WatchExit>(_ =>
        {
            if (_exited is not null) Sender.Tell(_exited);
            else _exitWatchers.Add(Sender);
        });
        Receive<GuestRequest>(r => End(0, r.Kind == GuestRequestKind.PowerOff ? "guest powered off" : "guest reset"));
        Receive<VcpuStopped>(s => OnVcpuStopped(s));
    }

    private void OnBoot()
    {
        try
        {
            var self = Self;
            _machine = Machine.Create(_config, _console, kind => self.Tell(new GuestRequest(
                kind == MachinePowerEvent.PowerOff ? GuestRequestKind.PowerOff : GuestRequestKind.Reset)));
            _vcpus = Context.ActorOf(VcpuGroupActor.Props(_machine.Vcpus, _machine.Exits, startPaused: false), "vcpus");
            Sender.Tell(new Booted());
        }
        catch (Exception e) when (e is MachineException or Tern.Kvm.KvmException or IOException or UnauthorizedAccessException)
        {
            _machine?.Dispose();
            _machine = null;
            Sender.Tell(new BootFailed(e.Message));
            Context.Stop(Self);
        }
    }

    private void OnVcpuStopped(VcpuStopped s)
    {
        switch (s.Outcome.Kind)
        {
            case VcpuOutcomeKind.PowerOff: End(0, "guest powered off"); break;
            case VcpuOutcomeKind.Reset: End(0, "guest reset"); break;
            default: End(1, $"vCPU {s.VcpuId} failed: {s.Outcome.Detail}"); break;
        }
    }

    private void End(int exitCode, string reason)
    {
        if (_exited is not null) return;
        _exited = new VmExited(exitCode, reason);
        if (_vcpus is not null) Context.Stop(_vcpus);
        foreach (var w in _exitWatchers) w.Tell(_exited);
        _exitWatchers.Clear();
    }

    protected override void PostStop() => _machine?.Dispose();
}

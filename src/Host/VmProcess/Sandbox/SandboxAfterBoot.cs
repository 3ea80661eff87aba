using Akka.Actor;
using Tern.Actors.Vm;

namespace Tern.Host.VmProcess.Sandbox;

/// <summary>
/// Stands between the VM channel and the <see cref="VmActor"/> of a confined VM process: it passes
/// every message on, sender kept, except that it answers a Boot itself, after the VM's Booted and
/// once the process has entered its sandbox — so the node never drives a VM that runs unconfined
/// longer than its boot. A sandbox that cannot be entered fails the boot and ends the VM.
/// </summary>
public sealed class SandboxAfterBoot : ReceiveActor
{
    private static readonly TimeSpan BootTimeout = TimeSpan.FromMinutes(5);
    private readonly IActorRef _vm;
    private readonly VmSandbox _sandbox;
    private readonly Action _entered;

    private sealed record BootAnswered(IActorRef Requester, object Reply);

    /// <param name="entered">Runs once the sandbox holds (the test-only probe hooks in here).</param>
    public static Props Props(IActorRef vm, VmSandbox sandbox, Action entered) =>
        Akka.Actor.Props.Create(() => new SandboxAfterBoot(vm, sandbox, entered));

    public SandboxAfterBoot(IActorRef vm, VmSandbox sandbox, Action entered)
    {
        _vm = vm;
        _sandbox = sandbox;
        _entered = entered;
        Receive<VmProtocol.Boot>(OnBoot);
        Receive<BootAnswered>(OnBootAnswered);
        // It outlives the VmActor, which stops itself once it has answered a failed Boot: that answer must still get through.
        ReceiveAny(m => _vm.Forward(m));
    }

    private void OnBoot(VmProtocol.Boot boot)
    {
        var requester = Sender;
        _vm.Ask<object>(boot, BootTimeout)
            .ContinueWith(t => new BootAnswered(requester, t.IsCompletedSuccessfully
                ? t.Result
                : new VmProtocol.BootFailed($"the VM did not answer Boot within {BootTimeout.TotalMinutes:0} min")))
            .PipeTo(Self);
    }

    private void OnBootAnswered(BootAnswered answered)
    {
        if (answered.Reply is VmProtocol.Booted)
        {
            try
            {
                _sandbox.Enter();
            }
            catch (Exception e) when (e is IOException or ArgumentException)
            {
                answered.Requester.Tell(new VmProtocol.BootFailed($"the VM process could not enter its sandbox: {e.Message}"));
                _vm.Tell(new VmProtocol.Command(VmCommand.Quit));
                return;
            }
            _entered();
            answered.Requester.Tell(answered.Reply);
            return;
        }
        answered.Requester.Tell(answered.Reply);
    }
}

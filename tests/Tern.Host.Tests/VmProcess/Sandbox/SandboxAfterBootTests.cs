using Akka.Actor;
using Tern.Host.VmProcess.Sandbox;
using static Tern.Actors.Vm.VmProtocol;

namespace Tern.Host.Tests.VmProcess.Sandbox;

public sealed class SandboxAfterBootTests : IDisposable
{
    private static readonly TimeSpan Timeout = TimeSpan.FromSeconds(5);
    private readonly ActorSystem _system = ActorSystem.Create("sandbox-after-boot");
    private int _entered;

    public void Dispose() => _system.Dispose();

    /// <summary>A VmActor's answers: Booted, or BootFailed and then it stops itself, as a VmActor whose boot failed does.</summary>
    private sealed class StandInVm : ReceiveActor
    {
        public StandInVm(bool boots)
        {
            Receive<Boot>(_ =>
            {
                Sender.Tell(boots ? new Booted() : new BootFailed("drive 'disk0': locked"));
                if (!boots) Context.Stop(Self);
            });
            Receive<QueryStatus>(_ => Sender.Tell(new Tern.Actors.Vm.VmProtocol.Status(Tern.Actors.Vm.VmRunState.Running)));
        }
    }

    private IActorRef Gate(bool boots) =>
        _system.ActorOf(SandboxAfterBoot.Props(_system.ActorOf(Props.Create(() => new StandInVm(boots))), new VmSandbox(false, null), () => _entered++));

    [Fact]
    public async Task Booted_reaches_the_asker_once_the_sandbox_is_entered_and_other_messages_pass_through()
    {
        var gate = Gate(boots: true);

        Assert.IsType<Booted>(await gate.Ask<object>(new Boot(), Timeout));
        Assert.Equal(1, _entered);
        Assert.IsType<Tern.Actors.Vm.VmProtocol.Status>(await gate.Ask<object>(new QueryStatus(), Timeout));
    }

    [Fact]
    public async Task A_failed_boot_is_answered_though_the_vm_stopped_and_no_sandbox_is_entered()
    {
        var gate = Gate(boots: false);

        var failed = Assert.IsType<BootFailed>(await gate.Ask<object>(new Boot(), Timeout));
        Assert.Equal("drive 'disk0': locked", failed.Reason);
        Assert.Equal(0, _entered);
    }
}

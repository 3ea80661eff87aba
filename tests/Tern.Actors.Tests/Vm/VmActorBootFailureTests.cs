using Tern.Actors.Vm;
using Tern.Devices.Board;
using Tern.Devices.Config;
using static Tern.Actors.Vm.VmProtocol;

namespace Tern.Actors.Tests.Vm;

/// <summary>Issue 15: whatever stops a boot is answered as a failed boot, so the asker never waits for a reply that does not come.</summary>
public sealed class VmActorBootFailureTests : Akka.TestKit.Xunit2.TestKit
{
    public VmActorBootFailureTests() : base("akka.loglevel = OFF\nakka.stdout-loglevel = OFF")
    {
    }

    [Fact]
    public void A_machine_build_that_throws_an_unforeseen_exception_is_answered_with_boot_failed()
    {
        var config = new VmConfig { Boot = new BootConfig("/nonexistent", null, "") };
        var broken = Task.FromException<FirstMachine>(new InvalidOperationException("the tables do not fit"));
        var vm = Sys.ActorOf(VmActor.Props(config, new MachineConsole(null, null), broken));

        vm.Tell(new Boot(), TestActor);

        Assert.Equal("the tables do not fit", ExpectMsg<BootFailed>(TimeSpan.FromSeconds(5)).Reason);
    }
}

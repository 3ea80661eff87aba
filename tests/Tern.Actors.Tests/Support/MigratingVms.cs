using Akka.Actor;
using Tern.Actors.Migration.Engine;
using Tern.Actors.Vm;
using Tern.Devices.Board;
using Tern.Devices.Config;
using static Tern.Actors.Migration.MigrationProtocol;

namespace Tern.Actors.Tests.Support;

/// <summary>Booting VmActors with a test console and following their migrations, for the actor-level migration tests.</summary>
internal static class MigratingVms
{
    public static readonly TimeSpan Long = TimeSpan.FromSeconds(60);

    public static IActorRef Boot(ActorSystem system, VmConfig config, GuestConsole console)
    {
        var vm = system.ActorOf(VmActor.Props(config, new MachineConsole(console, null)));
        Assert.IsType<VmProtocol.Booted>(vm.Ask<VmProtocol.IVmMessage>(new VmProtocol.Boot(), Long).Result);
        return vm;
    }

    /// <summary>Polls query-migrate until the migration has ended; returns the final info.</summary>
    public static MigrationInfo WaitForEnd(IActorRef vm)
    {
        var deadline = DateTime.UtcNow + Long;
        while (DateTime.UtcNow < deadline)
        {
            var info = vm.Ask<MigrationInfo>(new QueryMigrate(), Long).Result;
            if (info.Status is MigrationStatus.Completed or MigrationStatus.Failed or MigrationStatus.Canceled) return info;
            Thread.Sleep(20);
        }
        throw new TimeoutException("migration did not end");
    }

    public static VmRunState State(IActorRef vm) => vm.Ask<VmProtocol.Status>(new VmProtocol.QueryStatus(), Long).Result.State;
}

using Akka.Actor;
using Tern.Actors.Migration;
using Tern.Actors.Tests.Support;
using Tern.Actors.Vm;
using Tern.Devices.Board;
using Tern.Devices.Config;
using static Tern.Actors.Migration.MigrationProtocol;

namespace Tern.Actors.Tests.Migration;

/// <summary>Two VmActors in one ActorSystem: the guest moves from one to the other while it runs.</summary>
public sealed class LiveMigrationActorTests : Akka.TestKit.Xunit2.TestKit
{
    private static readonly TimeSpan Long = TimeSpan.FromSeconds(60);
    private const string Soak = "mode=soak mib=64 tick_ms=20 check_every=5";

    private IActorRef Boot(VmConfig config, GuestConsole console)
    {
        var vm = Sys.ActorOf(VmActor.Props(config, new MachineConsole(console, null)));
        Assert.IsType<VmProtocol.Booted>(vm.Ask<VmProtocol.IVmMessage>(new VmProtocol.Boot(), Long).Result);
        return vm;
    }

    private static MigrationInfo WaitForEnd(IActorRef vm)
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

    [KvmFact]
    public void Guest_moves_over_a_unix_socket_and_keeps_ticking_with_its_memory_intact()
    {
        string socket = Path.Combine(Path.GetTempPath(), $"tern-mig-{Guid.NewGuid():N}.sock");
        var endpoint = new MigrationEndpoint(MigrationTransport.Unix, socket);
        var srcConsole = new GuestConsole();
        var dstConsole = new GuestConsole();
        var source = Boot(TestGuest.Config(Soak), srcConsole);
        var destination = Boot(TestGuest.Config(Soak) with { IncomingEndpoint = endpoint }, dstConsole);
        Assert.Equal(VmRunState.InMigrate, destination.Ask<VmProtocol.Status>(new VmProtocol.QueryStatus(), Long).Result.State);
        srcConsole.WaitFor(l => l == "TICK 10", Long);

        Assert.IsType<MigrateStarted>(source.Ask<IMigrationMessage>(new Migrate(endpoint), Long).Result);
        var info = WaitForEnd(source);

        Assert.True(info.Status == MigrationStatus.Completed, info.ErrorDesc);
        File.WriteAllText("/tmp/miginfo.txt", info.ToString());
        Assert.Equal(VmRunState.PostMigrate, source.Ask<VmProtocol.Status>(new VmProtocol.QueryStatus(), Long).Result.State);
        int lastSourceTick = srcConsole.Ticks().Max();
        dstConsole.WaitFor(l => l == $"TICK {lastSourceTick + 10}", Long);
        var firstDest = dstConsole.Ticks().Min();
        Assert.Equal(lastSourceTick + 1, firstDest);
        dstConsole.WaitFor(l => l.StartsWith("SOAK check", StringComparison.Ordinal), Long);
        Assert.DoesNotContain(dstConsole.Lines, l => l.Contains("BAD"));
        Assert.False(File.Exists(socket));
    }
}

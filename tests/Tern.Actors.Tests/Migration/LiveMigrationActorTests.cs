using Akka.Actor;
using Tern.Actors.Migration.Engine;
using Tern.Actors.Tests.Support;
using Tern.Actors.Vm;
using Tern.Devices.Board;
using Tern.Devices.Config;
using static Tern.Actors.Migration.MigrationProtocol;
using static Tern.Actors.Tests.Support.MigratingVms;

namespace Tern.Actors.Tests.Migration;

/// <summary>Two VmActors in one ActorSystem: the guest moves from one to the other while it runs.</summary>
public sealed class LiveMigrationActorTests : Akka.TestKit.Xunit2.TestKit
{
    private const string Soak = "mode=soak mib=64 tick_ms=20 check_every=5";

    [KvmFact]
    public void Guest_moves_over_a_unix_socket_and_keeps_ticking_with_its_memory_intact()
    {
        string socket = Path.Combine(Path.GetTempPath(), $"tern-mig-{Guid.NewGuid():N}.sock");
        var endpoint = new MigrationEndpoint(MigrationTransport.Unix, socket);
        var srcConsole = new GuestConsole();
        var dstConsole = new GuestConsole();
        var source = Boot(Sys, TestGuest.Config(Soak), srcConsole);
        var destination = Boot(Sys, TestGuest.Config(Soak) with { IncomingEndpoint = endpoint }, dstConsole);
        Assert.Equal(VmRunState.InMigrate, State(destination));
        srcConsole.WaitFor(l => l == "TICK 10", Long);

        Assert.IsType<MigrateStarted>(source.Ask<IMigrationMessage>(new Migrate(endpoint), Long).Result);
        var info = WaitForEnd(source);

        Assert.True(info.Status == MigrationStatus.Completed, info.ErrorDesc);
        Assert.Equal(VmRunState.PostMigrate, State(source));
        int lastSourceTick = srcConsole.Ticks().Max();
        dstConsole.WaitFor(l => l == $"TICK {lastSourceTick + 10}", Long);
        var firstDest = dstConsole.Ticks().Min();
        Assert.Equal(lastSourceTick + 1, firstDest);
        dstConsole.WaitFor(l => l.StartsWith("SOAK check", StringComparison.Ordinal), Long);
        Assert.DoesNotContain(dstConsole.Lines, l => l.Contains("BAD"));
        Assert.False(File.Exists(socket));
    }
}

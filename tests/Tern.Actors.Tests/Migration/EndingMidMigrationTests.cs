using Akka.Actor;
using Tern.Actors.Migration.Engine;
using Tern.Actors.Tests.Support;
using Tern.Actors.Vm;
using Tern.Devices.Config;
using static Tern.Actors.Migration.MigrationProtocol;
using static Tern.Actors.Tests.Support.MigratingVms;

namespace Tern.Actors.Tests.Migration;

/// <summary>
/// A VM ended while its migration is stuck on a dead link (a host fencing itself after its network
/// was cut): the VmActor must stop, and so let go of its guest memory and disks, at once rather
/// than when TCP gives up on the link minutes later.
/// </summary>
public sealed class EndingMidMigrationTests : Akka.TestKit.Xunit2.TestKit
{
    [KvmFact]
    public void A_vm_stopped_while_its_migration_is_stuck_on_a_dead_link_stops_promptly()
    {
        int port = FreePort();
        var destination = Boot(Sys, TestGuest.Config("mode=soak mib=64 tick_ms=50", memoryMiB: 128, vcpus: 1)
            with { IncomingEndpoint = new MigrationEndpoint(MigrationTransport.Tcp, "127.0.0.1", port) }, new GuestConsole());
        using var link = new StallingProxy("127.0.0.1", port);
        var console = new GuestConsole();
        var source = Boot(Sys, TestGuest.Config("mode=soak mib=64 tick_ms=50", memoryMiB: 128, vcpus: 1), console);
        console.WaitFor(l => l == "TICK 3", Long);
        source.Ask<IMigrationMessage>(new SetParameters(MaxBandwidth: 8_000_000), Long).Wait();

        Assert.IsType<MigrateStarted>(source.Ask<IMigrationMessage>(new Migrate(new MigrationEndpoint(MigrationTransport.Tcp, "127.0.0.1", link.Port)), Long).Result);
        AwaitCondition(() => source.Ask<MigrationInfo>(new QueryMigrate(), Long).Result is { Status: MigrationStatus.Active, Ram.Transferred: > 4_000_000 },
            Long, TimeSpan.FromMilliseconds(50));
        link.Stall();
        Thread.Sleep(1500); // the sender's socket buffers fill and its write blocks

        AssertStopsPromptly(source);
        Sys.Stop(destination);
    }

    [KvmFact]
    public void A_vm_stopped_while_its_switch_over_waits_for_the_commit_approval_stops_promptly()
    {
        var endpoint = new MigrationEndpoint(MigrationTransport.Unix, Path.Combine(Path.GetTempPath(), $"tern-ending-{Guid.NewGuid():N}.sock"));
        var destination = Boot(Sys, TestGuest.Config("mode=soak mib=16 tick_ms=50", memoryMiB: 64, vcpus: 1) with { IncomingEndpoint = endpoint }, new GuestConsole());
        var console = new GuestConsole();
        var source = Boot(Sys, TestGuest.Config("mode=soak mib=16 tick_ms=50", memoryMiB: 64, vcpus: 1), console);
        console.WaitFor(l => l == "TICK 3", Long);
        var approver = CreateTestProbe();

        Assert.IsType<MigrateStarted>(source.Ask<IMigrationMessage>(new Migrate(endpoint, approver.Ref), Long).Result);
        approver.ExpectMsg<ApproveCommit>(Long); // the guest is paused on both sides; the approver never answers

        AssertStopsPromptly(source);
        Sys.Stop(destination);
    }

    private void AssertStopsPromptly(IActorRef vm)
    {
        Watch(vm);
        var stoppedAt = DateTime.UtcNow;
        Sys.Stop(vm);
        ExpectTerminated(vm, TimeSpan.FromSeconds(30));
        var took = DateTime.UtcNow - stoppedAt;
        Assert.True(took < TimeSpan.FromSeconds(2), $"the VM took {took.TotalSeconds:0.0} s to stop");
    }

    private static int FreePort()
    {
        var listener = new System.Net.Sockets.TcpListener(System.Net.IPAddress.Loopback, 0);
        listener.Start();
        int port = ((System.Net.IPEndPoint)listener.LocalEndpoint).Port;
        listener.Stop();
        return port;
    }
}

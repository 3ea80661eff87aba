using Akka.Actor;
using Tern.Actors.Migration.Engine;
using Tern.Actors.Tests.Support;
using Tern.Actors.Vm;
using Tern.Devices.Board;
using Tern.Devices.Config;
using static Tern.Actors.Migration.MigrationProtocol;
using static Tern.Actors.Tests.Support.MigratingVms;

namespace Tern.Actors.Tests.Migration;

/// <summary>
/// The cluster's hook into the switch-over: with a commit approver, the destination holds the
/// restored guest paused until the approver says yes; a no leaves the guest running on the source.
/// </summary>
public sealed class CommitApprovalTests : Akka.TestKit.Xunit2.TestKit
{
    private const string Soak = "mode=soak mib=16 tick_ms=20 check_every=5";

    private (IActorRef Source, IActorRef Destination, GuestConsole SourceConsole, GuestConsole DestinationConsole, MigrationEndpoint Endpoint) Pair()
    {
        var endpoint = new MigrationEndpoint(MigrationTransport.Unix, Path.Combine(Path.GetTempPath(), $"tern-commit-{Guid.NewGuid():N}.sock"));
        var srcConsole = new GuestConsole();
        var dstConsole = new GuestConsole();
        var source = Boot(Sys, TestGuest.Config(Soak), srcConsole);
        var destination = Boot(Sys, TestGuest.Config(Soak) with { IncomingEndpoint = endpoint }, dstConsole);
        srcConsole.WaitFor(l => l == "TICK 5", Long);
        return (source, destination, srcConsole, dstConsole, endpoint);
    }

    [KvmFact]
    public void An_approved_commit_moves_the_guest_and_the_destination_waits_for_the_approval()
    {
        var (source, destination, srcConsole, dstConsole, endpoint) = Pair();
        var approver = CreateTestProbe();

        Assert.IsType<MigrateStarted>(source.Ask<IMigrationMessage>(new Migrate(endpoint, approver.Ref), Long).Result);
        var ask = approver.ExpectMsg<ApproveCommit>(Long);
        Assert.Equal(endpoint, ask.Destination);
        // Restored but not yet allowed to run: neither side's guest ticks while the approver thinks.
        int ticksBefore = srcConsole.Ticks().Count;
        Thread.Sleep(300);
        Assert.Equal(ticksBefore, srcConsole.Ticks().Count);
        Assert.Empty(dstConsole.Ticks());
        approver.Reply(new CommitApproved());

        var info = WaitForEnd(source);
        Assert.True(info.Status == MigrationStatus.Completed, info.ErrorDesc);
        Assert.Equal(VmRunState.PostMigrate, State(source));
        dstConsole.WaitFor(l => l == $"TICK {srcConsole.Ticks().Max() + 3}", Long);
    }

    [KvmFact]
    public void A_refused_commit_keeps_the_guest_running_on_the_source_and_the_destination_discards()
    {
        var (source, destination, srcConsole, dstConsole, endpoint) = Pair();
        var approver = CreateTestProbe();
        destination.Tell(new VmProtocol.WatchExit());

        Assert.IsType<MigrateStarted>(source.Ask<IMigrationMessage>(new Migrate(endpoint, approver.Ref), Long).Result);
        approver.ExpectMsg<ApproveCommit>(Long);
        approver.Reply(new CommitRefused("host b is being drained"));

        var info = WaitForEnd(source);
        Assert.Equal(MigrationStatus.Failed, info.Status);
        Assert.Equal("the switch-over was refused: host b is being drained", info.ErrorDesc);
        Assert.Equal(VmRunState.Running, State(source));
        int last = srcConsole.Ticks().Max();
        srcConsole.WaitFor(l => l == $"TICK {last + 3}", Long);
        var exit = ExpectMsg<VmProtocol.VmExited>(Long);
        Assert.NotEqual(0, exit.ExitCode);
        Assert.Contains("host b is being drained", exit.Reason);
        Assert.Empty(dstConsole.Ticks());
    }
}

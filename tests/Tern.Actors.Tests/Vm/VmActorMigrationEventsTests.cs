using Akka.Actor;
using Akka.TestKit;
using Tern.Actors.Migration;
using Tern.Actors.Migration.Engine;
using Tern.Actors.Tests.Support;
using Tern.Actors.Vm;
using Tern.Devices.Config;
using static Tern.Actors.Migration.MigrationProtocol;
using static Tern.Actors.Tests.Support.MigratingVms;

namespace Tern.Actors.Tests.Vm;

/// <summary>
/// Issue 16: a VmActor tells its subscribers how a migration goes and how it ended, typed, on
/// both ends, so that nobody has to poll query-migrate and query-status.
/// </summary>
public sealed class VmActorMigrationEventsTests : Akka.TestKit.Xunit2.TestKit
{
    private const string Soak = "mode=soak mib=64 tick_ms=20 check_every=5";

    public VmActorMigrationEventsTests() : base("akka.loglevel = WARNING\nakka.stdout-loglevel = WARNING") { }

    /// <summary>Every event <paramref name="probe"/> gets until the VM publishes how its migration ended.</summary>
    private static List<VmEvent> UntilEnded(TestProbe probe)
    {
        var events = new List<VmEvent>();
        while (events.LastOrDefault() is not VmEvent.MigrationEnded) events.Add(probe.ExpectMsg<VmEvent>(Long));
        return events;
    }

    private sealed record Migrating(IActorRef Source, IActorRef Destination, TestProbe SourceEvents, TestProbe DestinationEvents, DateTimeOffset Started);

    /// <summary>A soaking guest under way to an -incoming VM at <paramref name="maxBandwidth"/> bytes/s, both VMs subscribed to.</summary>
    private Migrating StartMigration(long maxBandwidth)
    {
        var endpoint = new MigrationEndpoint(MigrationTransport.Unix, Path.Combine(Path.GetTempPath(), $"tern-events-{Guid.NewGuid():N}.sock"));
        var srcConsole = new GuestConsole();
        var source = Boot(Sys, TestGuest.Config(Soak), srcConsole);
        var destination = Boot(Sys, TestGuest.Config(Soak) with { IncomingEndpoint = endpoint }, new GuestConsole());
        var sourceEvents = CreateTestProbe();
        var destinationEvents = CreateTestProbe();
        source.Tell(new VmProtocol.Subscribe(sourceEvents.Ref));
        destination.Tell(new VmProtocol.Subscribe(destinationEvents.Ref));
        srcConsole.WaitFor(l => l == "TICK 10", Long);
        Assert.IsType<ParametersReply>(source.Ask<IMigrationMessage>(new SetParameters(MaxBandwidth: maxBandwidth), Long).Result);
        var started = DateTimeOffset.UtcNow;
        Assert.IsType<MigrateStarted>(source.Ask<IMigrationMessage>(new Migrate(endpoint), Long).Result);
        return new Migrating(source, destination, sourceEvents, destinationEvents, started);
    }

    [KvmFact]
    public void A_migration_publishes_typed_progress_twice_a_second_then_its_outcome_on_both_ends()
    {
        // 32 MiB/s: the 64 MiB the guest wrote take a couple of seconds, long enough to count ticks.
        var (_, destination, sourceEvents, destinationEvents, started) = StartMigration(32L << 20);

        var outgoing = UntilEnded(sourceEvents);
        var incoming = UntilEnded(destinationEvents);

        var progress = outgoing.OfType<VmEvent.MigrationProgress>().ToList();
        var ended = (VmEvent.MigrationEnded)outgoing[^1];
        Assert.True(ended.Result == MigrationResult.Completed, ended.Reason);
        Assert.Equal((MigrationSide.Outgoing, GuestLocation.MovedAway, VmRunState.PostMigrate), (ended.Side, ended.Guest, ended.State));
        Assert.All(progress, p => Assert.Equal(MigrationSide.Outgoing, p.Side));
        Assert.Contains(progress, p => p is { Status: MigrationStatus.Active, StatusChanged: true });
        Assert.Contains(progress, p => p is { PassEnded: true, Pass: >= 1 });
        Assert.Equal((MigrationStatus.Completed, true, 0UL), (progress[^1].Status, progress[^1].StatusChanged, progress[^1].BytesRemaining));
        Assert.True(progress[^1].BytesTransferred > 32UL << 20, $"{progress[^1].BytesTransferred} bytes sent");
        Assert.True(progress.Zip(progress.Skip(1)).All(p => p.Item2.BytesTransferred >= p.Item1.BytesTransferred), "bytes sent never go back");
        double seconds = (ended.At - started).TotalSeconds;
        Assert.True(seconds > 1, $"the migration took only {seconds:0.00} s");
        Assert.True(progress.Count >= 2 * (int)seconds, $"{progress.Count} progress events in {seconds:0.00} s");

        var arrived = (VmEvent.MigrationEnded)incoming[^1];
        Assert.Equal((MigrationSide.Incoming, MigrationResult.Completed, GuestLocation.Here, VmRunState.Running),
            (arrived.Side, arrived.Result, arrived.Guest, arrived.State));
        Assert.Contains(incoming, e => e is VmEvent.MigrationProgress { Side: MigrationSide.Incoming, Status: MigrationStatus.Active });
        Assert.Equal(VmRunState.Running, State(destination));
    }

    [KvmFact]
    public void A_cancelled_migration_ends_cancelled_with_the_guest_still_here()
    {
        var (source, _, events, _, _) = StartMigration(8L << 20);

        events.FishForMessage<VmEvent.MigrationProgress>(p => p.Status == MigrationStatus.Active, Long);
        Assert.IsType<CancelAccepted>(source.Ask<IMigrationMessage>(new MigrateCancel(), Long).Result);
        var ended = (VmEvent.MigrationEnded)UntilEnded(events)[^1];

        Assert.Equal((MigrationResult.Cancelled, GuestLocation.Here, VmRunState.Running), (ended.Result, ended.Guest, ended.State));
        Assert.Equal(VmRunState.Running, State(source));
    }
}

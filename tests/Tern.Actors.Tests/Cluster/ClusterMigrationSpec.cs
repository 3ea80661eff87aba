using Akka.Actor;
using Akka.Configuration;
using Akka.TestKit;
using Akka.TestKit.Xunit2;
using Tern.Actors.Cluster;
using Tern.Actors.Cluster.Decisions;
using Tern.Actors.Cluster.Protocol;
using static Tern.Actors.Cluster.NodeProtocol;
using static Tern.Actors.Cluster.Protocol.ClusterProtocol;
using static Tern.Actors.Tests.Cluster.ClusterSamples;

namespace Tern.Actors.Tests.Cluster;

/// <summary>
/// The ClusterManager driving a live migration between two hosts played by test probes: it
/// prepares the target, starts the source with the HOCON settings, persists the ownership move
/// before it approves the switch-over, answers a repeated commit request the same way after a
/// restart, and leaves the VM on its source when the migration fails.
/// </summary>
public sealed class ClusterMigrationSpec() : ManagerTestKit(database => ConfigurationFactory.ParseString("""
    tern.cluster.manager.migration.per-host = 1
    tern.cluster.manager.migration.max-bandwidth = 100000000
    tern.cluster.manager.migration.completion-timeout-per-gib = 80s
    tern.cluster.manager.migration.on-timeout = force
    """).WithFallback(ClusterTestConfig.Create(database)))
{
    // The two hosts, played by probes; every test starts with ManagerWithV1OnH1, which creates them.
    private TestProbe _h1 = null!;
    private TestProbe _h2 = null!;

    private void Report(IActorRef manager, TestProbe host, string name, params VmRuntime[] vms) =>
        manager.Tell(new HostReport(name, SelfAddress, Load(4096) with { At = DateTime.UtcNow }, vms), host);

    private static T Ask<T>(IActorRef manager, object message) =>
        manager.Ask<object>(message, TimeSpan.FromSeconds(10)).Result is T t ? t : throw new Xunit.Sdk.XunitException($"expected {typeof(T).Name}");

    private static VmView View(IActorRef manager, string name) => Ask<VmList>(manager, new GetVms()).Vms.Single(v => v.Name == name);

    private static VmRuntime Running(string name, long incarnation, VmRunPhase phase = VmRunPhase.Running) => new(name, incarnation, phase, 128 * MiB, 1, 0.1);

    /// <summary>v1 runs on h1 as incarnation 1; h2 is up and empty.</summary>
    private IActorRef ManagerWithV1OnH1()
    {
        (_h1, _h2) = (CreateTestProbe(), CreateTestProbe());
        var manager = StartManager();
        Report(manager, _h1, "h1");
        AwaitAssert(() => Assert.NotNull(Ask<HostList>(manager, new GetHosts()).Hosts.Single().Load));
        Ask<Done>(manager, new CreateVm(Def("v1", 128)));
        _h1.FishForMessage<RunInstance>(_ => true);
        Report(manager, _h1, "h1", Running("v1", 1));
        Report(manager, _h2, "h2");
        AwaitAssert(() => Assert.Equal(2, Ask<HostList>(manager, new GetHosts()).Hosts.Count(h => h.Load is not null)));
        return manager;
    }

    /// <summary>Migrate v1 to h2 up to the source's start order.</summary>
    private StartMigration BeginToH2(IActorRef manager)
    {
        Assert.Equal("vm v1 migrating h1 -> h2", Ask<Done>(manager, new MigrateVm("v1", "h2")).Message);
        var prepare = _h2.FishForMessage<PrepareIncoming>(_ => true);
        Assert.Equal(("v1", 2L), (prepare.Definition.Name, prepare.Incarnation));
        manager.Tell(new IncomingPrepared("h2", "v1", 2, "127.0.0.1", 40123), _h2);
        return _h1.FishForMessage<StartMigration>(_ => true);
    }

    [Fact]
    public void Prepares_the_target_then_starts_the_source_with_the_configured_limits()
    {
        var manager = ManagerWithV1OnH1();
        var start = BeginToH2(manager);
        Assert.Equal(("v1", 1L, "h2", 2L, "127.0.0.1", 40123), (start.Name, start.Incarnation, start.To, start.TargetIncarnation, start.Address, start.Port));
        Assert.Equal(100_000_000, start.MaxBandwidth);
        Assert.Equal(10_000, start.CompletionTimeoutMs); // 80 s per GiB of a 128 MiB guest, raised to the 10 s minimum
        Assert.Equal(OnCompletionTimeout.Force, start.OnTimeout);
        Assert.Equal(VmState.Migrating, View(manager, "v1").State);
        Assert.Equal("setup", Ask<MigrationReport>(manager, new GetMigration("v1")).Status);
        StopManager(manager);
    }

    [Fact]
    public void Bad_migrations_are_refused_with_clear_reasons_and_change_nothing()
    {
        var manager = ManagerWithV1OnH1();
        Assert.Equal("no VM named 'nope'", Ask<Failed>(manager, new MigrateVm("nope", "h2")).Reason);
        Assert.Equal("no host named 'h9'", Ask<Failed>(manager, new MigrateVm("v1", "h9")).Reason);
        Assert.Equal("vm v1 already runs on h1", Ask<Failed>(manager, new MigrateVm("v1", "h1")).Reason);
        Ask<Done>(manager, new CreateVm(Def("huge", 4000)));
        Assert.Equal(FailureKind.NoRoom, Ask<Failed>(manager, new MigrateVm("huge", "h1")).Kind);
        Assert.Equal(FailureKind.Conflict, Ask<Failed>(manager, new CancelMigration("v1")).Kind);
        Assert.DoesNotContain(Ask<VmList>(manager, new GetVms()).Vms, v => v.State == VmState.Migrating);
        StopManager(manager);
    }

    [Fact]
    public void The_commit_is_persisted_before_it_is_approved_and_survives_a_restart()
    {
        var manager = ManagerWithV1OnH1();
        BeginToH2(manager);
        manager.Tell(new CommitRequest("v1", 2), _h1);
        var decision = _h1.FishForMessage<CommitDecision>(_ => true);
        Assert.True(decision.Approved);
        // Crash right after the approval: the recovered registry already has the VM on h2.
        StopManager(manager);
        var recovered = StartManager();
        var view = View(recovered, "v1");
        Assert.Equal(("h2", 2L), (view.Host, view.Incarnation));
        // The source, not sure its approval arrived, asks again: the answer is the same.
        recovered.Tell(new CommitRequest("v1", 2), _h1);
        Assert.True(_h1.FishForMessage<CommitDecision>(_ => true).Approved);
        // While the source reports its instance as migrating out, it is not told to stop.
        Report(recovered, _h1, "h1", Running("v1", 1, VmRunPhase.MigratingOut));
        _h1.ExpectNoMsg(TimeSpan.FromMilliseconds(500));
        StopManager(recovered);
    }

    [Fact]
    public void A_commit_stored_but_never_confirmed_to_the_source_goes_back_to_the_source()
    {
        var manager = ManagerWithV1OnH1();
        BeginToH2(manager);
        manager.Tell(new CommitRequest("v1", 2), _h1);
        _h1.FishForMessage<CommitDecision>(_ => true); // the source timed out before this arrived
        var report = new MigrationReport("v1", "h1", "h2", "failed", 3, 0, 128 * MiB, 200 * MiB, 900, 10, null, 4000, "the commit approver did not answer within 10 s");
        manager.Tell(new MigrationOutcome(report, 1, 2, GuestStayed: true), _h1);
        AwaitAssert(() => Assert.Equal(("h1", 1L), (View(manager, "v1").Host, View(manager, "v1").Incarnation)));
        // The target's discarded instance is not wanted.
        Report(manager, _h2, "h2", Running("v1", 2, VmRunPhase.Incoming));
        _h2.FishForMessage<StopInstance>(s => s is { Name: "v1", Incarnation: 2 });
        StopManager(manager);
    }

    [Fact]
    public void A_commit_request_that_arrives_after_the_source_stopped_waiting_is_refused_and_not_stored()
    {
        // Held in a singleton proxy's buffer while the manager moved, it arrives too late.
        var manager = ManagerWithV1OnH1();
        BeginToH2(manager);
        manager.Tell(new CommitRequest("v1", 2, DateTime.UtcNow - TimeSpan.FromSeconds(1)), _h1);
        var late = _h1.FishForMessage<CommitDecision>(_ => true);
        Assert.False(late.Approved);
        Assert.Equal("the commit request came after the source stopped waiting", late.Reason);
        Assert.Equal(("h1", 1L, VmState.Migrating), (View(manager, "v1").Host, View(manager, "v1").Incarnation, View(manager, "v1").State));

        // One still in time is stored and approved.
        manager.Tell(new CommitRequest("v1", 2, DateTime.UtcNow + TimeSpan.FromSeconds(30)), _h1);
        Assert.True(_h1.FishForMessage<CommitDecision>(_ => true).Approved);
        Assert.Equal(("h2", 2L), (View(manager, "v1").Host, View(manager, "v1").Incarnation));
        StopManager(manager);
    }

    [Fact]
    public void A_failed_migration_leaves_the_vm_on_its_source_and_a_late_commit_is_refused()
    {
        var manager = ManagerWithV1OnH1();
        BeginToH2(manager);
        var progress = new MigrationReport("v1", "h1", "h2", "active", 2, 40 * MiB, 128 * MiB, 100 * MiB, 800, 400, null, 900, null);
        manager.Tell(new MigrationProgressed(progress, 2), _h1);
        AwaitAssert(() => Assert.Equal(2, Ask<MigrationReport>(manager, new GetMigration("v1")).Round));
        manager.Tell(new MigrationOutcome(progress with { Status = "failed", Error = "connection reset" }, 1, 2, GuestStayed: true), _h1);
        AwaitAssert(() => Assert.Equal(VmState.Running, View(manager, "v1").State));
        Assert.Equal(("h1", 1L), (View(manager, "v1").Host, View(manager, "v1").Incarnation));
        Assert.Equal("connection reset", Ask<MigrationReport>(manager, new GetMigration("v1")).Error);
        manager.Tell(new CommitRequest("v1", 2), _h1);
        Assert.False(_h1.FishForMessage<CommitDecision>(_ => true).Approved);
        StopManager(manager);
    }

    [Fact]
    public void Drain_migrates_within_the_per_host_limit_and_continues_as_migrations_end()
    {
        var manager = ManagerWithV1OnH1();
        Ask<Done>(manager, new DrainHost("h2")); // empty: so that v2 is placed on h1 too
        Ask<Done>(manager, new CreateVm(Def("v2", 128)));
        Ask<Done>(manager, new UndrainHost("h2"));
        var placed = View(manager, "v2");
        Assert.Equal("h1", placed.Host);
        Report(manager, _h1, "h1", Running("v1", 1), Running("v2", placed.Incarnation));
        Assert.StartsWith("host h1 draining", Ask<Done>(manager, new DrainHost("h1")).Message);
        var first = _h2.FishForMessage<PrepareIncoming>(_ => true);
        _h2.ExpectNoMsg(TimeSpan.FromMilliseconds(600)); // per-host limit 1: the second waits
        manager.Tell(new IncomingPrepared("h2", first.Definition.Name, first.Incarnation, "127.0.0.1", 1), _h2);
        var start = _h1.FishForMessage<StartMigration>(_ => true);
        manager.Tell(new CommitRequest(start.Name, start.TargetIncarnation), _h1);
        _h1.FishForMessage<CommitDecision>(d => d.Approved);
        var done = new MigrationReport(start.Name, "h1", "h2", "completed", 2, 0, 128 * MiB, 130 * MiB, 900, 5, 20, 800, null);
        manager.Tell(new MigrationOutcome(done, start.Incarnation, start.TargetIncarnation, GuestStayed: false), _h1);
        var second = _h2.FishForMessage<PrepareIncoming>(_ => true, TimeSpan.FromSeconds(10));
        Assert.NotEqual(first.Definition.Name, second.Definition.Name);
        StopManager(manager);
    }

}

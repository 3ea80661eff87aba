using Tern.Actors.Cluster;
using Tern.Actors.Cluster.Decisions;
using Tern.Actors.Cluster.Protocol;
using Tern.Actors.Cluster.Registry;
using static Tern.Actors.Cluster.Protocol.ClusterProtocol;
using static Tern.Actors.Cluster.Registry.ManagerEvents;
using static Tern.Actors.Tests.Cluster.ClusterSamples;

namespace Tern.Actors.Tests.Cluster;

/// <summary>Issue 18: the manager's decisions about protected VMs, as the events they persist.</summary>
public sealed class ProtectionPlanTests
{
    private static readonly VmDefinition Vm = Def("v", 512);

    private static ClusterRegistry ThreeHostsVmOnA() => WithHosts("a", "b", "c").Place(Vm, "a");

    private static IReadOnlyList<HostCandidate> Roomy(ClusterRegistry r) => Candidates(r, ("a", 4096, 0.0), ("b", 4096, 0.1), ("c", 4096, 0.2));

    private static ClusterRegistry Persist(ClusterRegistry r, CommandOutcome outcome) => outcome.Events.Aggregate(r, (x, e) => x.Apply(e));

    /// <summary>v on a, protected with its standby on b (incarnation 2), synced or not.</summary>
    private static ClusterRegistry Protected(bool synced = true)
    {
        var r = ThreeHostsVmOnA().Apply(new VmProtected("v", 50, "b", T0)).Apply(new StandbyAssigned("v", "b", 2, 1, T0));
        return synced ? r.Apply(new StandbySynced("v", 2, T0)) : r;
    }

    [Fact]
    public void Protect_stores_the_protection_and_a_standby_on_another_host_in_one_decision()
    {
        var r = ThreeHostsVmOnA();
        var outcome = ManagerCommands.Decide(r, Roomy(r), new ProtectVm("v", EpochMs: 25), T0);
        Assert.IsType<Done>(outcome.Reply);
        Assert.Collection(outcome.Events,
            e => Assert.Equal(new VmProtected("v", 25, null, T0), e),
            e => Assert.Equal(new StandbyAssigned("v", "b", 2, 1, T0), e));
        var after = Persist(r, outcome);
        Assert.Equal(new ProtectionEntry("v", 25, null, "b", 2, 1, false), after.StandbyOf("v"));
        Assert.Equal(2, after.LastIncarnation);
        // The standby's memory is committed on its host: placement sees it.
        Assert.Equal(512 * MiB, Candidates(after, ("b", 4096, 0.0)).Single().CommittedBytes);
    }

    [Fact]
    public void Protect_is_refused_with_nothing_changed_when_no_host_can_take_the_standby_or_the_request_is_wrong()
    {
        var alone = WithHosts("a").Place(Vm, "a");
        var none = ManagerCommands.Decide(alone, Candidates(alone, ("a", 4096, 0.0)), new ProtectVm("v"), T0);
        Assert.Empty(none.Events);
        Assert.Equal(new Failed(FailureKind.NoRoom, "cannot protect v: no host but a to take vm v's standby; nothing changed"), none.Reply);

        var r = ThreeHostsVmOnA();
        Assert.Equal(FailureKind.NotFound, ((Failed)ManagerCommands.Decide(r, Roomy(r), new ProtectVm("nope"), T0).Reply).Kind);
        Assert.Equal(new Failed(FailureKind.Invalid, "the epoch must be 10 to 10000 ms, not 5"), ManagerCommands.Decide(r, Roomy(r), new ProtectVm("v", EpochMs: 5), T0).Reply);
        Assert.Equal(new Failed(FailureKind.NotFound, "no host named 'zz'"), ManagerCommands.Decide(r, Roomy(r), new ProtectVm("v", "zz"), T0).Reply);
        Assert.Equal(new Failed(FailureKind.NoRoom, "cannot protect v: vm v runs on a: its standby must be on another host; nothing changed"),
            ManagerCommands.Decide(r, Roomy(r), new ProtectVm("v", "a"), T0).Reply);
        var migrating = r.Apply(new MigrationBegan("v", "a", "c", 2, T0));
        Assert.Equal(FailureKind.Conflict, ((Failed)ManagerCommands.Decide(migrating, Roomy(migrating), new ProtectVm("v"), T0).Reply).Kind);

        var already = Protected();
        Assert.Empty(ManagerCommands.Decide(already, Roomy(already), new ProtectVm("v", "b"), T0).Events);
        Assert.Equal(FailureKind.Conflict, ((Failed)ManagerCommands.Decide(already, Roomy(already), new ProtectVm("v", EpochMs: 100), T0).Reply).Kind);
    }

    [Fact]
    public void Create_with_protect_is_refused_whole_when_the_standby_would_fit_nowhere()
    {
        var r = WithHosts("a");
        var refused = ManagerCommands.Decide(r, Candidates(r, ("a", 4096, 0.0)), new CreateVm(Vm, new ProtectionRequest()), T0);
        Assert.Empty(refused.Events);
        Assert.Equal(FailureKind.NoRoom, ((Failed)refused.Reply).Kind);

        var two = WithHosts("a", "b");
        var created = ManagerCommands.Decide(two, Candidates(two, ("a", 4096, 0.0), ("b", 4096, 0.5)), new CreateVm(Vm, new ProtectionRequest(EpochMs: 100)), T0);
        Assert.Contains(new VmProtected("v", 100, null, T0), created.Events);
        // The standby is assigned by the next look, once the VM runs.
        var after = Persist(two, created);
        var assigned = ProtectionPlan.Assign(after, Candidates(after, ("a", 4096, 0.0), ("b", 4096, 0.5)), T0);
        Assert.Equal([new StandbyAssigned("v", "b", 2, 1, T0)], assigned);
    }

    [Fact]
    public void A_standby_belongs_to_one_instance_of_its_vm_and_is_reassigned_after_a_restart_or_a_migration()
    {
        var r = Protected();
        Assert.NotNull(r.StandbyOf("v"));
        // Migrating: the migration ends the replication; the standby is dropped for good.
        var migrating = r.Apply(new MigrationBegan("v", "a", "c", 3, T0));
        Assert.Null(migrating.StandbyOf("v"));
        var abandoned = migrating.Apply(new MigrationEnded("v", false, "canceled", T0));
        Assert.Null(abandoned.StandbyOf("v"));
        Assert.Single(ProtectionPlan.Assign(abandoned, Roomy(abandoned), T0));
        // Restarted elsewhere as a new instance: stale.
        var restarted = r.Apply(new VmPlaced("v", "c", 3, "failover from a", T0));
        Assert.Null(restarted.StandbyOf("v"));
        // The operator asked for b: b again, though busier.
        Assert.Equal([new StandbyAssigned("v", "b", 4, 3, T0)], ProtectionPlan.Assign(restarted, Candidates(restarted, ("a", 4096, 0.0), ("b", 4096, 0.9), ("c", 4096, 0.0)), T0));
        // Stopped: none, and none assigned.
        var stopped = r.Apply(new VmStopRequested("v", T0));
        Assert.Null(stopped.StandbyOf("v"));
        Assert.Empty(ProtectionPlan.Assign(stopped, Roomy(stopped), T0));
    }

    [Fact]
    public void The_host_of_the_primary_lost_a_synced_standby_takes_over_at_once_and_an_unsynced_one_leaves_a_cold_restart()
    {
        var lost = Protected().Apply(new HostLeft("a", "downed", T0));
        var hosts = Candidates(lost, ("b", 4096, 0.0), ("c", 4096, 0.0));
        // Even while a's VM processes may still run (held): the primary releases nothing uncommitted.
        var events = FailoverPlan.For(lost, hosts, T0, new HashSet<string> { "a" });
        Assert.Equal([new StandbyPromoted("v", "b", 2, "host a is down", T0)], events);
        var after = events.Aggregate(lost, (r, e) => r.Apply(e));
        Assert.Equal(("b", 2L), (after.Vm("v")!.Host, after.Vm("v")!.Incarnation));
        Assert.Null(after.StandbyOf("v"));
        Assert.Equal(ProtectionState.Degraded, ClusterViews.Protection(after, "v", null, null, T0)!.State);
        // Not synced: the VM restarts from its definition once the hold is over.
        var unsynced = Protected(synced: false).Apply(new HostLeft("a", "downed", T0));
        Assert.Empty(FailoverPlan.For(unsynced, hosts, T0, new HashSet<string> { "a" }));
        Assert.IsType<VmPlaced>(Assert.Single(FailoverPlan.For(unsynced, hosts, T0)));
    }

    [Fact]
    public void A_broken_stream_promotes_a_synced_standby_and_a_refused_checkpoint_drops_it()
    {
        var r = Protected();
        Assert.Equal([new StandbyPromoted("v", "b", 2, "link lost", T0)], ProtectionPlan.OnStandbyBroken(r, "v", 2, refused: false, "link lost", T0));
        Assert.Equal([new StandbyDropped("v", 2, "bad crc", T0)], ProtectionPlan.OnStandbyBroken(r, "v", 2, refused: true, "bad crc", T0));
        Assert.Equal([new StandbyDropped("v", 2, "link lost", T0)], ProtectionPlan.OnStandbyBroken(Protected(synced: false), "v", 2, refused: false, "link lost", T0));
        // A report from a standby that is no longer the VM's changes nothing.
        Assert.Empty(ProtectionPlan.OnStandbyBroken(r, "v", 7, refused: false, "link lost", T0));
        Assert.Empty(ProtectionPlan.OnStandbyBroken(r.Apply(new VmUnprotected("v", "asked", T0)), "v", 2, refused: false, "link lost", T0));
        // A standby whose host is down cannot take over.
        Assert.Equal([new StandbyDropped("v", 2, "link lost", T0)], ProtectionPlan.OnStandbyBroken(r.Apply(new HostLeft("b", "downed", T0)), "v", 2, false, "link lost", T0));
    }

    [Fact]
    public void Commits_sync_the_standby_once_and_its_end_or_its_host_s_loss_drop_it()
    {
        var syncing = Protected(synced: false);
        Assert.Equal([new StandbySynced("v", 2, T0)], ProtectionPlan.OnStandbyCommitted(syncing, "v", 2, T0));
        Assert.Empty(ProtectionPlan.OnStandbyCommitted(Protected(), "v", 2, T0));
        Assert.Equal([new StandbyDropped("v", 2, "ended", T0)], ProtectionPlan.OnStandbyEnded(syncing, "v", 2, "ended", T0));
        Assert.Empty(ProtectionPlan.OnStandbyEnded(syncing, "v", 1, "ended", T0)); // the primary's end is not the standby's
        Assert.Equal([new StandbyDropped("v", 2, "host b is down", T0)], ProtectionPlan.StandbysLostWith(syncing, "b", "host b is down", T0));
        Assert.Empty(ProtectionPlan.StandbysLostWith(syncing, "c", "host c is down", T0));
    }

    [Fact]
    public void Draining_the_standby_s_host_drops_the_standby_and_the_next_look_syncs_one_elsewhere()
    {
        var r = Protected();
        var drain = ManagerCommands.Decide(r, Roomy(r), new DrainHost("b"), T0);
        Assert.Contains(new StandbyDropped("v", 2, "host b is draining", T0), drain.Events);
        var after = Persist(r, drain);
        Assert.Equal([new StandbyAssigned("v", "c", 3, 1, T0)], ProtectionPlan.Assign(after, Candidates(after, ("a", 4096, 0.0), ("c", 4096, 0.2)), T0));
    }

    [Fact]
    public void The_reconciler_keeps_the_standby_and_stops_one_that_is_no_longer_the_vm_s()
    {
        var r = Protected();
        var standby = new VmRuntime("v", 2, VmRunPhase.Standby, 512 * MiB, 1, 0.0);
        Assert.Empty(Reconciler.Orders(r, "b", [standby]));
        var unprotected = r.Apply(new VmUnprotected("v", "asked", T0));
        Assert.Equal([new HostOrder.Stop("b", "v", 2)], Reconciler.Orders(unprotected, "b", [standby]));
    }

    [Fact]
    public void Unprotect_and_delete_forget_the_protection_and_snapshots_keep_it()
    {
        var r = Protected();
        var unprotect = ManagerCommands.Decide(r, Roomy(r), new UnprotectVm("v"), T0);
        Assert.Equal([new VmUnprotected("v", "asked by the operator", T0)], unprotect.Events);
        Assert.Null(Persist(r, unprotect).Protection("v"));
        Assert.Empty(ManagerCommands.Decide(ThreeHostsVmOnA(), [], new UnprotectVm("v"), T0).Events);
        Assert.Null(r.Apply(new VmStopRequested("v", T0)).Apply(new VmHalted("v", 1, "stopped", null, T0)).Apply(new VmDeleted("v", T0)).Protection("v"));

        var back = ClusterRegistry.FromStoredSnapshot(r.ToSnapshot());
        Assert.Equal(r.Protection("v"), back.Protection("v"));
        Assert.Equal(r.Vms.Keys, back.Vms.Keys);
        // A snapshot written before protected VMs reads as a registry without any.
        var old = ClusterRegistry.FromStoredSnapshot(r.ToSnapshot().Registry.Registry);
        Assert.Empty(old.Protections);
        Assert.Equal(r.LastIncarnation, old.LastIncarnation);
    }
}

using Tern.Actors.Cluster.Decisions;
using Tern.Actors.Cluster.Protocol;
using Tern.Actors.Cluster.Registry;
using static Tern.Actors.Cluster.Registry.ManagerEvents;
using static Tern.Actors.Tests.Cluster.ClusterSamples;

namespace Tern.Actors.Tests.Cluster;

/// <summary>Issue 19: what a host's health report makes the manager store.</summary>
public sealed class HealthPlanTests
{
    private static readonly MigrationLimits Limits = new(2, 4);
    private const string Edac = "12 corrected memory errors in 1h (EDAC)";

    /// <summary>Hosts a, b, c; v1 and v2 (512 MiB each) on a.</summary>
    private static ClusterRegistry TwoVmsOnA() => WithHosts("a", "b", "c").Place(Def("v1", 512), "a").Place(Def("v2", 512), "a");

    private static IReadOnlyList<HostCandidate> Room(ClusterRegistry r, ulong mib) => Candidates(r, ("a", 4096, 0.1), ("b", mib, 0.1), ("c", mib, 0.2));

    private static ClusterRegistry Persist(ClusterRegistry r, HealthPlan.Outcome o) => o.Events.Aggregate(r, (x, e) => x.Apply(e));

    [Fact]
    public void A_host_whose_checks_fail_is_degraded_and_its_vms_move_live_elsewhere()
    {
        var r = TwoVmsOnA();
        var outcome = HealthPlan.OnReport(r, Room(r, 4096), Limits, "a", healthy: false, Edac, T0);
        Assert.Equal(new HostDegraded("a", Edac, T0), outcome.Events[0]);
        var moves = outcome.Events.OfType<MigrationBegan>().ToArray();
        Assert.Equal(["v1", "v2"], moves.Select(m => m.Name).Order());
        Assert.All(moves, m => Assert.Equal("a", m.From));
        Assert.DoesNotContain(moves, m => m.To == "a");
        Assert.Empty(outcome.Stuck);

        var after = Persist(r, outcome);
        Assert.Equal(HostState.Draining, after.Host("a")!.State);
        Assert.Equal(Edac, ClusterViews.Hosts(after, new Dictionary<string, HostLoad>()).Single(h => h.Name == "a").Degraded);
        // Failing again changes nothing more.
        Assert.Empty(HealthPlan.OnReport(after, Room(after, 4096), Limits, "a", healthy: false, "still failing", T0).Events);
    }

    [Fact]
    public void A_degraded_host_whose_vms_fit_nowhere_keeps_them_and_names_them()
    {
        var r = TwoVmsOnA();
        var outcome = HealthPlan.OnReport(r, Room(r, 256), Limits, "a", healthy: false, Edac, T0);
        Assert.Equal([new HostDegraded("a", Edac, T0)], outcome.Events);
        Assert.Equal(["v1", "v2"], outcome.Stuck.Order());
        Assert.Equal(2, Persist(r, outcome).VmsOn("a").Count());
    }

    [Fact]
    public void A_protected_vm_on_a_degraded_host_switches_to_its_synced_standby_and_the_others_migrate()
    {
        // p (protected, its standby synced on b) and v (unprotected) on a; q's standby on b is not synced yet.
        var placed = TwoVmsOnA().Place(Def("p", 256), "a").Place(Def("q", 256), "a");
        var r = placed
            .Apply(new VmProtected("p", 50, "b", T0)).Apply(new StandbyAssigned("p", "b", 9, placed.Vm("p")!.Incarnation, T0)).Apply(new StandbySynced("p", 9, T0))
            .Apply(new VmProtected("q", 50, "b", T0)).Apply(new StandbyAssigned("q", "b", 11, placed.Vm("q")!.Incarnation, T0));
        var outcome = HealthPlan.OnReport(r, Room(r, 4096), new MigrationLimits(8, 8), "a", healthy: false, Edac, T0);
        var promoted = Assert.Single(outcome.Events.OfType<StandbyPromoted>());
        Assert.Equal(("p", "b", 9L), (promoted.Name, promoted.Host, promoted.Incarnation));
        // q's standby cannot take over yet: q migrates like the unprotected ones.
        Assert.Equal(["q", "v1", "v2"], outcome.Events.OfType<MigrationBegan>().Select(m => m.Name).Order());
        var after = Persist(r, outcome);
        Assert.Equal(("b", 9L), (after.Vm("p")!.Host, after.Vm("p")!.Incarnation));
    }

    [Fact]
    public void A_standby_on_a_host_that_takes_no_vms_does_not_take_over_from_a_degraded_host()
    {
        var placed = TwoVmsOnA().Place(Def("p", 256), "a");
        var r = placed
            .Apply(new VmProtected("p", 50, "b", T0)).Apply(new StandbyAssigned("p", "b", 9, placed.Vm("p")!.Incarnation, T0)).Apply(new StandbySynced("p", 9, T0));
        // b is no candidate (draining, unreachable or full): p migrates to c instead.
        var hosts = Candidates(r, ("a", 4096, 0.1), ("c", 4096, 0.2));
        var outcome = HealthPlan.OnReport(r, hosts, new MigrationLimits(8, 8), "a", healthy: false, Edac, T0);
        Assert.Empty(outcome.Events.OfType<StandbyPromoted>());
        Assert.Contains(outcome.Events, e => e is MigrationBegan { Name: "p", To: "c" });
    }

    [Fact]
    public void Standbys_on_a_degraded_host_are_dropped_to_be_synced_elsewhere()
    {
        var r = WithHosts("a", "b").Place(Def("p", 256), "b")
            .Apply(new VmProtected("p", 50, null, T0)).Apply(new StandbyAssigned("p", "a", 2, 1, T0));
        var outcome = HealthPlan.OnReport(r, Candidates(r, ("a", 4096, 0.1), ("b", 4096, 0.1)), Limits, "a", healthy: false, Edac, T0);
        Assert.Contains(outcome.Events, e => e is StandbyDropped { Name: "p", Incarnation: 2 });
        Assert.Null(Persist(r, outcome).StandbyOf("p"));
    }

    [Fact]
    public void A_degraded_host_reported_healthy_returns_and_a_healthy_one_changes_nothing()
    {
        var r = TwoVmsOnA();
        Assert.Empty(HealthPlan.OnReport(r, Room(r, 4096), Limits, "a", healthy: true, null, T0).Events);
        var degraded = Persist(r, HealthPlan.OnReport(r, Room(r, 4096), Limits, "a", healthy: false, Edac, T0));
        var outcome = HealthPlan.OnReport(degraded, Room(degraded, 4096), Limits, "a", healthy: true, null, T0.AddMinutes(5));
        Assert.Equal([new HostRecovered("a", T0.AddMinutes(5))], outcome.Events);
        var back = Persist(degraded, outcome);
        Assert.Equal(HostState.Up, back.Host("a")!.State);
        Assert.Empty(back.Degraded);
    }

    [Fact]
    public void Good_health_does_not_undrain_a_host_the_operator_drained_but_undrain_ends_a_degradation()
    {
        var drained = TwoVmsOnA().Apply(new HostDrainChanged("a", true, T0));
        Assert.Empty(HealthPlan.OnReport(drained, Room(drained, 4096), Limits, "a", healthy: true, null, T0).Events);
        var degraded = Persist(TwoVmsOnA(), HealthPlan.OnReport(TwoVmsOnA(), Room(TwoVmsOnA(), 4096), Limits, "a", healthy: false, Edac, T0));
        var undrained = degraded.Apply(new HostDrainChanged("a", false, T0));
        Assert.Empty(undrained.Degraded);
        Assert.Equal(HostState.Up, undrained.Host("a")!.State);
    }

    [Fact]
    public void A_host_that_is_down_or_unknown_is_not_degraded()
    {
        var r = TwoVmsOnA().Apply(new HostLeft("a", "downed", T0));
        Assert.Empty(HealthPlan.OnReport(r, Room(r, 4096), Limits, "a", healthy: false, Edac, T0).Events);
        Assert.Empty(HealthPlan.OnReport(r, Room(r, 4096), Limits, "nope", healthy: false, Edac, T0).Events);
    }

    [Fact]
    public void A_stopping_node_s_host_is_degraded_for_it_and_its_vms_move()
    {
        var r = TwoVmsOnA();
        var outcome = HealthPlan.OnShutdown(r, Room(r, 4096), Limits, "a", T0);
        Assert.Equal(new HostDegraded("a", HealthPlan.ShutdownReason, T0), outcome.Events[0]);
        Assert.Equal(2, outcome.Events.OfType<MigrationBegan>().Count());
        // Its checks passing while it empties the host do not end that; back, it takes VMs again at
        // once, where a host degraded for failing checks waits for them to pass.
        Assert.Empty(HealthPlan.OnReport(Persist(r, outcome), Room(r, 4096), Limits, "a", healthy: true, null, T0).Events);
        var after = Persist(r, outcome).Apply(new HostLeft("a", "left", T0));
        Assert.Equal([new HostRecovered("a", T0)], HealthPlan.OnRejoin(after, "a", T0));
        var failing = Persist(TwoVmsOnA(), HealthPlan.OnReport(TwoVmsOnA(), Room(TwoVmsOnA(), 4096), Limits, "a", healthy: false, Edac, T0));
        Assert.Empty(HealthPlan.OnRejoin(failing, "a", T0));
    }

    [Fact]
    public void A_stopping_node_keeps_its_host_s_drain_or_degradation_and_its_vms_still_move()
    {
        var drained = TwoVmsOnA().Apply(new HostDrainChanged("a", true, T0));
        var outcome = HealthPlan.OnShutdown(drained, Room(drained, 4096), Limits, "a", T0);
        Assert.All(outcome.Events, e => Assert.IsType<MigrationBegan>(e));
        Assert.Equal(2, outcome.Events.Count);
        Assert.Empty(Persist(drained, outcome).Degraded); // the operator's drain outlives the restart
        var stuck = HealthPlan.OnShutdown(drained, Room(drained, 256), Limits, "a", T0);
        Assert.Empty(stuck.Events);
        Assert.Equal(["v1", "v2"], stuck.Stuck.Order());
    }

    [Fact]
    public void The_degradation_survives_a_snapshot()
    {
        var degraded = Persist(TwoVmsOnA(), HealthPlan.OnReport(TwoVmsOnA(), Room(TwoVmsOnA(), 4096), Limits, "a", healthy: false, Edac, T0));
        var restored = ClusterRegistry.FromStoredSnapshot(degraded.ToSnapshot());
        Assert.Equal(new DegradedHost("a", Edac, T0), restored.Degraded["a"]);
        Assert.Equal(HostState.Draining, restored.Host("a")!.State);
    }
}

using Tern.Actors.Cluster;
using Tern.Actors.Cluster.Decisions;
using static Tern.Actors.Cluster.Registry.ManagerEvents;
using static Tern.Actors.Tests.Cluster.ClusterSamples;

namespace Tern.Actors.Tests.Cluster;

public sealed class ReconcilerTests
{
    private static VmRuntime Instance(string name, long incarnation, VmRunPhase phase = VmRunPhase.Running) => new(name, incarnation, phase, 256 * MiB, 1, 0);

    [Fact]
    public void A_vm_placed_on_the_host_and_not_reported_is_ordered_to_run()
    {
        var r = WithHosts("a", "b").Place(Def("v1"), "a").Place(Def("v2"), "b");
        var run = Assert.IsType<HostOrder.Run>(Assert.Single(Reconciler.Orders(r, "a", [])));
        Assert.Equal(("v1", 1L), (run.Definition.Name, run.Incarnation));
        Assert.Empty(Reconciler.Orders(r, "a", [Instance("v1", 1)]));
    }

    [Fact]
    public void Stale_stopped_deleted_and_misplaced_instances_are_ordered_to_stop()
    {
        var r = WithHosts("a", "b").Place(Def("v1"), "a").Place(Def("v2"), "b").Place(Def("v3"), "a").Apply(new VmStopRequested("v3", T0));
        var orders = Reconciler.Orders(r, "a", [Instance("v1", 0), Instance("v2", 2), Instance("v3", 3), Instance("gone", 9)]);
        var stops = orders.OfType<HostOrder.Stop>().Select(s => (s.Name, s.Incarnation)).ToArray();
        Assert.Equal([("v1", 0L), ("v2", 2L), ("v3", 3L), ("gone", 9L)], stops);
        // v1's own incarnation is missing, so it is also ordered to run (after the stale one ends, the host takes it).
        Assert.Single(orders.OfType<HostOrder.Run>());
        Assert.Empty(Reconciler.Orders(r, "a", [Instance("v1", 1), Instance("v3", 3, VmRunPhase.Stopping)]));
    }

    [Fact]
    public void A_stopping_vm_its_host_no_longer_reports_has_stopped_there()
    {
        var r = WithHosts("a", "b").Place(Def("v1"), "a").Place(Def("v2"), "a").Place(Def("v3"), "a")
            .Apply(new VmStopRequested("v1", T0)).Apply(new VmStopRequested("v2", T0));
        // v1 is gone from a's report: stopped. v2 is still reported (stopping): not yet. v3 runs.
        var halted = Assert.Single(Reconciler.StoppedUnheard(r, "a", [Instance("v2", 2, VmRunPhase.Stopping), Instance("v3", 3)], T0));
        Assert.Equal(("v1", 1L), (halted.Name, halted.Incarnation));
        Assert.Null(r.Apply(halted).Vm("v1")!.Host);
        // Another host's report says nothing about a's VMs.
        Assert.Empty(Reconciler.StoppedUnheard(r, "b", [], T0));
    }

    [Fact]
    public void Both_ends_of_a_migration_under_way_are_left_running()
    {
        var r = WithHosts("a", "b").Place(Def("v1"), "a").Apply(new MigrationBegan("v1", "a", "b", 7, T0));
        Assert.Empty(Reconciler.Orders(r, "a", [Instance("v1", 1)]));
        Assert.Empty(Reconciler.Orders(r, "b", [Instance("v1", 7)]));
        var committed = r.Apply(new MigrationEnded("v1", true, "", T0));
        Assert.Equal(("b", 7L), (committed.Vm("v1")!.Host, committed.Vm("v1")!.Incarnation));
        Assert.Single(Reconciler.Orders(committed, "a", [Instance("v1", 1)]).OfType<HostOrder.Stop>());
        var abandoned = r.Apply(new MigrationEnded("v1", false, "link cut", T0));
        Assert.Equal(("a", 1L), (abandoned.Vm("v1")!.Host, abandoned.Vm("v1")!.Incarnation));
        Assert.Single(Reconciler.Orders(abandoned, "b", [Instance("v1", 7)]).OfType<HostOrder.Stop>());
    }
}

using Tern.Actors.Cluster;
using Tern.Actors.Cluster.Decisions;
using Tern.Actors.Cluster.Registry;
using static Tern.Actors.Cluster.Registry.ManagerEvents;
using static Tern.Actors.Tests.Cluster.ClusterSamples;

namespace Tern.Actors.Tests.Cluster;

public sealed class FailoverAndDrainTests
{
    [Fact]
    public void Vms_of_a_downed_host_are_placed_on_survivors_with_new_incarnations()
    {
        var r = WithHosts("a", "b", "c").Place(Def("v1", 512), "a").Place(Def("v2", 512), "a").Place(Def("v3"), "b")
            .Apply(new HostLeft("a", "killed", T0));
        var events = FailoverPlan.For(r, Candidates(r, ("b", 1024, 0), ("c", 1024, 0)), T0);
        var placed = events.Cast<VmPlaced>().ToArray();
        Assert.Equal(["v1", "v2"], placed.Select(p => p.Name).Order());
        Assert.All(placed, p => Assert.NotEqual("a", p.Host));
        Assert.All(placed, p => Assert.True(p.Incarnation > 3));
        Assert.Equal(2, placed.Select(p => p.Incarnation).Distinct().Count());
        Assert.All(placed, p => Assert.Equal("failover from a", p.Why));
    }

    [Fact]
    public void A_vm_without_room_after_failover_waits_and_is_placed_when_room_appears()
    {
        var r = WithHosts("a", "b").Place(Def("v1", 2048), "a").Apply(new HostLeft("a", "killed", T0));
        var none = FailoverPlan.For(r, Candidates(r, ("b", 1024, 0)), T0);
        var unplaced = Assert.IsType<VmUnplaced>(Assert.Single(none));
        Assert.Contains("host a is down", unplaced.Reason);
        r = r.Apply(unplaced);
        Assert.Empty(FailoverPlan.For(r, Candidates(r, ("b", 1024, 0)), T0)); // still waiting: nothing new to say
        var later = FailoverPlan.For(r, Candidates(r, ("b", 4096, 0)), T0);
        Assert.Equal("b", Assert.IsType<VmPlaced>(Assert.Single(later)).Host);
    }

    [Fact]
    public void Stopped_vms_and_vms_on_live_hosts_are_left_alone_and_a_stopping_vm_of_a_downed_host_is_stopped()
    {
        var r = WithHosts("a", "b").Place(Def("v1"), "a").Place(Def("v2"), "b").Place(Def("v3"), "a")
            .Apply(new VmStopRequested("v3", T0)).Apply(new HostLeft("a", "killed", T0));
        var events = FailoverPlan.For(r, Candidates(r, ("b", 4096, 0)), T0);
        Assert.Equal("v1", Assert.Single(events.OfType<VmPlaced>()).Name);
        Assert.Equal("v3", Assert.Single(events.OfType<VmHalted>()).Name);
    }

    [Fact]
    public void Drain_moves_every_vm_to_other_hosts_and_names_those_that_fit_nowhere()
    {
        var r = WithHosts("a", "b", "c").Place(Def("v1", 512), "a").Place(Def("v2", 512), "a").Place(Def("huge", 4000), "a");
        var plan = DrainPlan.For(r, Candidates(r, ("a", 8192, 0), ("b", 1024, 0), ("c", 1024, 0)), "a");
        Assert.Equal(["v1", "v2"], plan.Moves.Select(m => m.Vm).Order());
        Assert.All(plan.Moves, m => Assert.NotEqual("a", m.To));
        Assert.NotEqual(plan.Moves[0].To, plan.Moves[1].To);
        Assert.Equal(["huge"], plan.Stuck);
    }

    [Fact]
    public void Migration_limits_admit_moves_up_to_the_per_host_and_per_cluster_caps()
    {
        var limits = new MigrationLimits(PerHost: 1, PerCluster: 2);
        var moves = new[]
        {
            new MigrationMove("v1", "a", "b", MiB), new MigrationMove("v2", "a", "c", MiB),
            new MigrationMove("v3", "d", "e", MiB), new MigrationMove("v4", "f", "g", MiB),
        };
        Assert.Equal(["v1", "v3"], limits.Admit(moves, []).Select(m => m.Vm));
        var underWay = new[] { new MigrationEntry("v0", "d", "x", 9, T0) };
        Assert.Equal(["v1", "v4"], new MigrationLimits(PerHost: 1, PerCluster: 3).Admit(moves, underWay).Select(m => m.Vm));
        Assert.Equal(["v1"], new MigrationLimits(PerHost: 4, PerCluster: 2).Admit(moves, underWay).Select(m => m.Vm));
    }
}

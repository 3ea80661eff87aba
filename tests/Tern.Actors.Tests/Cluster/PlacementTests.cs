using Tern.Actors.Cluster;
using Tern.Actors.Cluster.Decisions;
using Tern.Actors.Cluster.Registry;
using static Tern.Actors.Tests.Cluster.ClusterSamples;

namespace Tern.Actors.Tests.Cluster;

public sealed class PlacementTests
{
    [Fact]
    public void Placement_picks_the_host_with_the_lowest_load_after_adding_the_vm()
    {
        var r = WithHosts("a", "b").Place(Def("x", 1024), "a");
        var hosts = Candidates(r, ("a", 4096, 0.1), ("b", 4096, 0.1));
        Assert.Equal("b", Placement.Choose(Def("y"), hosts));
    }

    [Fact]
    public void Placement_counts_cpu_load_as_well_as_memory()
    {
        var r = WithHosts("a", "b");
        var hosts = Candidates(r, ("a", 4096, 0.9), ("b", 4096, 0.1));
        Assert.Equal("b", Placement.Choose(Def("y"), hosts));
    }

    [Fact]
    public void Placement_skips_hosts_without_memory_for_the_vm()
    {
        var r = WithHosts("a", "b").Place(Def("big", 3900), "b");
        var hosts = Candidates(r, ("a", 1024, 0.9), ("b", 4096, 0.0));
        Assert.Null(Placement.Choose(Def("y", 2048), hosts));
        Assert.Equal("no host has 2048 MiB free (most free: 1024 MiB)", Placement.NoRoomReason(Def("y", 2048), hosts));
        Assert.Equal("a", Placement.Choose(Def("z", 512), hosts));
    }

    [Fact]
    public void Placement_keeps_vms_of_one_anti_affinity_group_on_different_hosts()
    {
        var r = WithHosts("a", "b").Place(Def("db1", 256, "db"), "b");
        var hosts = Candidates(r, ("a", 4096, 0.9), ("b", 4096, 0.0));
        Assert.Equal("a", Placement.Choose(Def("db2", 256, "db"), hosts));
        var full = Candidates(r.Place(Def("db2", 256, "db"), "a"), ("a", 4096, 0.9), ("b", 4096, 0.0));
        Assert.Null(Placement.Choose(Def("db3", 256, "db"), full));
        Assert.Contains("anti-affinity group 'db'", Placement.NoRoomReason(Def("db3", 256, "db"), full));
    }

    [Fact]
    public void Placement_ignores_draining_down_and_unreported_hosts()
    {
        var r = WithHosts("a", "b", "c", "d")
            .Apply(new ManagerEvents.HostDrainChanged("a", true, T0))
            .Apply(new ManagerEvents.HostLeft("b", "test", T0));
        var hosts = Candidates(r, ("a", 4096, 0), ("b", 4096, 0), ("c", 4096, 0.5));
        Assert.Equal(["c"], hosts.Select(h => h.Name));
    }

    [Fact]
    public void Placing_several_vms_spreads_them_and_each_choice_sees_the_previous()
    {
        var r = WithHosts("a", "b", "c");
        var hosts = Candidates(r, ("a", 1024, 0), ("b", 1024, 0), ("c", 1024, 0));
        var placed = Placement.ChooseAll([Def("v1", 512), Def("v2", 512), Def("v3", 512), Def("v4", 512)], hosts);
        Assert.All(placed, p => Assert.NotNull(p.Host));
        Assert.Equal(3, placed.Select(p => p.Host).Distinct().Count());
        var bigger = Placement.ChooseAll([Def("v1", 1024), Def("v2", 1024), Def("v3", 1024), Def("v4", 1024)], hosts);
        Assert.Single(bigger, p => p.Host is null);
    }
}

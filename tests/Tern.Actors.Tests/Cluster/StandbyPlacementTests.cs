using Tern.Actors.Cluster.Decisions;
using static Tern.Actors.Tests.Cluster.ClusterSamples;

namespace Tern.Actors.Tests.Cluster;

/// <summary>Issue 18: where a protected VM's standby may go.</summary>
public sealed class StandbyPlacementTests
{
    [Fact]
    public void The_standby_never_shares_its_primary_s_host_and_goes_where_placement_would_put_a_vm()
    {
        var vm = Def("v", 512);
        var r = WithHosts("a", "b", "c").Place(vm, "a").Place(Def("x", 1024), "b");
        var hosts = Candidates(r, ("a", 4096, 0.0), ("b", 4096, 0.1), ("c", 4096, 0.1));
        Assert.Equal(("c", (string?)null), StandbyPlacement.Choose(vm, "a", hosts));
        // Even when the primary's host is the emptiest.
        var lopsided = Candidates(WithHosts("a", "b").Place(vm, "a").Place(Def("x", 3000), "b"), ("a", 8192, 0.0), ("b", 4096, 0.5));
        Assert.Equal(("b", (string?)null), StandbyPlacement.Choose(vm, "a", lopsided));
    }

    [Fact]
    public void With_no_other_host_with_room_the_refusal_says_why()
    {
        var vm = Def("v", 2048);
        var alone = Candidates(WithHosts("a").Place(vm, "a"), ("a", 8192, 0.0));
        Assert.Equal((null, "no host but a to take vm v's standby"), StandbyPlacement.Choose(vm, "a", alone));
        var full = Candidates(WithHosts("a", "b").Place(vm, "a").Place(Def("x", 3500), "b"), ("a", 8192, 0.0), ("b", 4096, 0.0));
        Assert.Equal((null, "no host but a can take vm v's standby: no host has 2048 MiB free (most free: 596 MiB)"), StandbyPlacement.Choose(vm, "a", full));
    }

    [Fact]
    public void An_operator_s_choice_is_checked_by_the_same_rules_and_refused_by_name()
    {
        var vm = Def("v", 1024, group: "db");
        var r = WithHosts("a", "b", "c").Place(vm, "a").Place(Def("w", 256, group: "db"), "b").Place(Def("x", 3500), "c");
        var hosts = Candidates(r, ("a", 4096, 0.0), ("b", 4096, 0.0), ("c", 4096, 0.0));
        Assert.Equal("vm v runs on a: its standby must be on another host", StandbyPlacement.Choose(vm, "a", hosts, "a").Refusal);
        Assert.Equal("host b already runs a VM of anti-affinity group 'db'", StandbyPlacement.Choose(vm, "a", hosts, "b").Refusal);
        Assert.Equal("host c has 596 MiB free, vm v's standby needs 1024 MiB", StandbyPlacement.Choose(vm, "a", hosts, "c").Refusal);
        Assert.StartsWith("host zz is not schedulable", StandbyPlacement.Choose(vm, "a", hosts, "zz").Refusal);
        var roomy = Candidates(WithHosts("a", "d").Place(vm, "a"), ("a", 4096, 0.0), ("d", 4096, 0.0));
        Assert.Equal(("d", (string?)null), StandbyPlacement.Choose(vm, "a", roomy, "d"));
    }
}

using Tern.Actors.Cluster;
using Tern.Actors.Cluster.Decisions;
using Tern.Actors.Cluster.Protocol;
using static Tern.Actors.Tests.Cluster.ClusterSamples;

namespace Tern.Actors.Tests.Cluster;

public sealed class OverloadPolicyTests
{
    private static readonly OverloadSettings Settings = new(0.85, 0.70, TimeSpan.FromSeconds(60), TimeSpan.FromMinutes(10));

    private static VmRuntime Running(string name, ulong mib, double cores) => new(name, 1, VmRunPhase.Running, mib * MiB, 2, cores);

    [Fact]
    public void A_host_is_overloaded_above_the_high_mark_and_stays_so_until_below_the_target()
    {
        var s = OverloadPolicy.Observe(OverloadState.Empty, Settings, "a", 0.80, T0);
        Assert.Empty(s.OverSince);
        s = OverloadPolicy.Observe(s, Settings, "a", 0.90, T0);
        s = OverloadPolicy.Observe(s, Settings, "a", 0.75, T0.AddSeconds(10)); // between the marks: still overloaded
        Assert.Equal(T0, s.OverSince["a"]);
        s = OverloadPolicy.Observe(s, Settings, "a", 0.60, T0.AddSeconds(20));
        Assert.Empty(s.OverSince);
    }

    [Fact]
    public void Shedding_waits_for_the_sustained_window_then_moves_the_vms_that_relieve_most_per_byte()
    {
        var r = WithHosts("a", "b").Place(Def("small-busy", 256), "a").Place(Def("big-busy", 4096), "a").Place(Def("idle", 128), "a");
        var loads = new Dictionary<string, HostLoad> { ["a"] = Load(16384, 0.95), ["b"] = Load(16384, 0.10) };
        var reported = new Dictionary<string, IReadOnlyList<VmRuntime>>
        {
            ["a"] = [Running("small-busy", 256, 1.0), Running("big-busy", 4096, 1.0), Running("idle", 128, 0.0)],
        };
        var hosts = HostCandidate.From(r, loads);
        var state = OverloadPolicy.Observe(OverloadState.Empty, Settings, "a", 0.95, T0);

        Assert.Empty(OverloadPolicy.Plan(r, state, Settings, loads, reported, hosts, T0.AddSeconds(30)));
        var moves = OverloadPolicy.Plan(r, state, Settings, loads, reported, hosts, T0.AddSeconds(61));
        // 0.95 -> 0.70 needs 0.25 of 4 cores = 1 core: the 256 MiB VM gives it for the least memory.
        var move = Assert.Single(moves);
        Assert.Equal(("small-busy", "a", "b"), (move.Vm, move.From, move.To));
    }

    [Fact]
    public void A_vm_that_moved_is_not_moved_again_within_the_cooldown_and_the_source_gets_a_fresh_window()
    {
        var r = WithHosts("a", "b").Place(Def("v1"), "a").Place(Def("v2"), "a");
        var loads = new Dictionary<string, HostLoad> { ["a"] = Load(16384, 0.95), ["b"] = Load(16384, 0.10) };
        var reported = new Dictionary<string, IReadOnlyList<VmRuntime>> { ["a"] = [Running("v1", 256, 1.2), Running("v2", 512, 1.2)] };
        var state = OverloadPolicy.Observe(OverloadState.Empty, Settings, "a", 0.95, T0);
        var first = OverloadPolicy.Plan(r, state, Settings, loads, reported, HostCandidate.From(r, loads), T0.AddSeconds(61));
        Assert.Equal(["v1"], first.Select(m => m.Vm));

        state = OverloadPolicy.Moved(state, first, T0.AddSeconds(61));
        Assert.Empty(OverloadPolicy.Plan(r, state, Settings, loads, reported, HostCandidate.From(r, loads), T0.AddSeconds(90)));
        // A window later v1 (back on a, say) is still cooling down, so v2 goes.
        var again = OverloadPolicy.Plan(r, state, Settings, loads, reported, HostCandidate.From(r, loads), T0.AddSeconds(122));
        Assert.Equal(["v2"], again.Select(m => m.Vm));
    }

    [Fact]
    public void Shedding_never_pushes_the_destination_over_the_target()
    {
        var r = WithHosts("a", "b").Place(Def("v1"), "a");
        var loads = new Dictionary<string, HostLoad> { ["a"] = Load(16384, 0.95), ["b"] = Load(16384, 0.60) };
        var reported = new Dictionary<string, IReadOnlyList<VmRuntime>> { ["a"] = [Running("v1", 256, 2.0)] };
        var state = OverloadPolicy.Observe(OverloadState.Empty, Settings, "a", 0.95, T0);
        Assert.Empty(OverloadPolicy.Plan(r, state, Settings, loads, reported, HostCandidate.From(r, loads), T0.AddSeconds(61)));
    }
}

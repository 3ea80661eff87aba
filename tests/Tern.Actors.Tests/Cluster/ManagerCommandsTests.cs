using Tern.Actors.Cluster;
using Tern.Actors.Cluster.Decisions;
using Tern.Actors.Cluster.Protocol;
using Tern.Actors.Cluster.Registry;
using static Tern.Actors.Cluster.NodeProtocol;
using static Tern.Actors.Cluster.Protocol.ClusterProtocol;
using static Tern.Actors.Cluster.Registry.ManagerEvents;
using static Tern.Actors.Tests.Cluster.ClusterSamples;

namespace Tern.Actors.Tests.Cluster;

public sealed class ManagerCommandsTests
{
    private static readonly ClusterRegistry TwoHosts = WithHosts("a", "b");
    private static readonly IReadOnlyList<HostCandidate> Roomy = Candidates(TwoHosts, ("a", 4096, 0.5), ("b", 4096, 0.1));

    private static CommandOutcome Decide(ClusterRegistry r, IManagerCommand c) => ManagerCommands.Decide(r, Candidates(r, ("a", 4096, 0.5), ("b", 4096, 0.1)), c, T0);

    private static Failed Refused(CommandOutcome o, FailureKind kind)
    {
        Assert.Empty(o.Events);
        var failed = Assert.IsType<Failed>(o.Reply);
        Assert.Equal(kind, failed.Kind);
        return failed;
    }

    [Fact]
    public void Create_defines_and_places_the_vm_with_the_next_incarnation()
    {
        var o = ManagerCommands.Decide(TwoHosts, Roomy, new CreateVm(Def("v1")), T0);
        Assert.Equal("vm v1 created on b", Assert.IsType<Done>(o.Reply).Message);
        Assert.IsType<VmDefined>(o.Events[0]);
        var placed = Assert.IsType<VmPlaced>(o.Events[1]);
        Assert.Equal(("b", 1L), (placed.Host, placed.Incarnation));
    }

    [Fact]
    public void Create_refuses_a_used_name_an_invalid_definition_and_a_vm_without_room()
    {
        var r = TwoHosts.Place(Def("v1"), "a");
        Assert.Equal("a VM named 'v1' already exists", Refused(Decide(r, new CreateVm(Def("v1"))), FailureKind.Conflict).Reason);
        var bad = Def("bad name") with { Kernel = "relative/kernel", MemoryBytes = 1 };
        var reason = Refused(Decide(r, new CreateVm(bad)), FailureKind.Invalid).Reason;
        Assert.Contains("name 'bad name'", reason);
        Assert.Contains("kernel path 'relative/kernel' must be absolute", reason);
        Assert.Contains("less than the minimum 32 MiB", reason);
        Assert.Contains("no host has 8192 MiB free", Refused(Decide(r, new CreateVm(Def("v2", 8192))), FailureKind.NoRoom).Reason);
    }

    [Fact]
    public void Create_gives_each_nic_without_a_mac_one_of_its_own_and_stores_it()
    {
        var r = TwoHosts.Place(Def("v0") with { Nics = [new VmNic("br0", "52:54:00:11:22:33")] }, "a");
        var vm = Def("v1") with { Nics = [new VmNic("br0"), new VmNic("br1", "52:54:00:AA:BB:CC"), new VmNic("br0")] };
        var o = Decide(r, new CreateVm(vm));
        var stored = Assert.IsType<VmDefined>(o.Events[0]).Definition.Nics!;
        Assert.Equal(["br0", "br1", "br0"], stored.Select(n => n.Bridge));
        Assert.Equal("52:54:00:aa:bb:cc", stored[1].Mac); // given: kept, written the one way
        var macs = stored.Select(n => Tern.Devices.Config.MacAddress.TryParse(n.Mac!, out _)!.Value).ToArray();
        Assert.All(macs, m => Assert.StartsWith("52:54:00:", m.ToString()));
        Assert.Equal(4, macs.Append(Tern.Devices.Config.MacAddress.TryParse("52:54:00:11:22:33", out _)!.Value).Distinct().Count()); // none twice, none v0's
        Assert.Empty(Assert.IsType<VmDefined>(o.Events[0]).Definition.Problems());
        // Pure: the same registry and command give the same MACs.
        Assert.Equal(stored, Assert.IsType<VmDefined>(Decide(r, new CreateVm(vm)).Events[0]).Definition.Nics);
    }

    [Fact]
    public void Create_passes_over_a_mac_another_vm_already_has()
    {
        var first = NicMacs.Candidate("v1", 0, 0);
        var r = TwoHosts.Place(Def("v0") with { Nics = [new VmNic("br0", first.ToString())] }, "a");
        var stored = Assert.IsType<VmDefined>(Decide(r, new CreateVm(Def("v1") with { Nics = [new VmNic("br0")] })).Events[0]).Definition.Nics!;
        Assert.Equal(NicMacs.Candidate("v1", 0, 1).ToString(), Assert.Single(stored).Mac);
    }

    [Fact]
    public void Create_refuses_a_mac_another_vm_has()
    {
        var r = TwoHosts.Place(Def("v0") with { Nics = [new VmNic("br0", "52:54:00:11:22:33")] }, "a");
        var reason = Refused(Decide(r, new CreateVm(Def("v1") with { Nics = [new VmNic("br1", "52:54:00:11:22:33".ToUpperInvariant())] })), FailureKind.Conflict).Reason;
        Assert.Equal("mac 52:54:00:11:22:33 is already vm v0's", reason);
        var bad = Refused(Decide(r, new CreateVm(Def("v1") with { Nics = [new VmNic("br0", "01:00:00:00:00:01")] })), FailureKind.Invalid).Reason;
        Assert.Contains("nic 0 mac '01:00:00:00:00:01' is not a unicast MAC", bad);
    }

    [Fact]
    public void Stop_start_and_delete_follow_the_vm_state()
    {
        var r = TwoHosts.Place(Def("v1"), "a");
        Refused(Decide(r, new DeleteVm("v1")), FailureKind.Conflict);
        var stop = Decide(r, new StopVm("v1"));
        r = r.Apply(Assert.IsType<VmStopRequested>(Assert.Single(stop.Events)));
        Assert.Contains("still stopping", Refused(Decide(r, new DeleteVm("v1")), FailureKind.Conflict).Reason);
        Assert.Contains("still stopping", Refused(Decide(r, new StartVm("v1")), FailureKind.Conflict).Reason);
        r = r.Apply(new VmHalted("v1", r.Vm("v1")!.Incarnation, "stopped", null, T0));
        Assert.Equal(VmState.Stopped, ClusterViews.State(r, r.Vm("v1")!, new Dictionary<string, IReadOnlyList<VmRuntime>>()));
        Assert.Empty(Decide(r, new StopVm("v1")).Events);
        var start = Assert.IsType<VmPlaced>(Assert.Single(Decide(r, new StartVm("v1")).Events));
        Assert.Equal(2, start.Incarnation);
        Assert.IsType<VmDeleted>(Assert.Single(Decide(r, new DeleteVm("v1")).Events));
    }

    [Fact]
    public void Unknown_vms_and_hosts_are_not_found()
    {
        foreach (var c in new IManagerCommand[] { new StartVm("x"), new StopVm("x"), new DeleteVm("x"), new MigrateVm("x", "a"), new DrainHost("x"), new UndrainHost("x") })
            Refused(Decide(TwoHosts, c), FailureKind.NotFound);
    }

    [Fact]
    public void Migrate_checks_its_target_then_begins_a_migration_with_the_next_incarnation()
    {
        var r = TwoHosts.Place(Def("v1"), "a");
        Assert.Equal("no host named 'z'", Refused(Decide(r, new MigrateVm("v1", "z")), FailureKind.NotFound).Reason);
        Assert.Equal("vm v1 already runs on a", Refused(Decide(r, new MigrateVm("v1", "a")), FailureKind.Invalid).Reason);
        var big = TwoHosts.Place(Def("big", 5000), "a");
        Refused(ManagerCommands.Decide(big, Candidates(big, ("a", 8192, 0), ("b", 4096, 0)), new MigrateVm("big", "b"), T0), FailureKind.NoRoom);
        var o = Decide(r, new MigrateVm("v1", "b"));
        Assert.Equal("vm v1 migrating a -> b", Assert.IsType<Done>(o.Reply).Message);
        var began = Assert.IsType<MigrationBegan>(Assert.Single(o.Events));
        Assert.Equal(("v1", "a", "b", 2L), (began.Name, began.From, began.To, began.Incarnation));
        r = r.Apply(began);
        Assert.Equal("vm v1 is already migrating", Refused(Decide(r, new MigrateVm("v1", "b")), FailureKind.Conflict).Reason);
    }

    [Fact]
    public void Upgrade_begins_a_migration_from_the_vms_host_to_itself_even_on_a_full_or_draining_host()
    {
        Refused(Decide(TwoHosts, new UpgradeVm("x")), FailureKind.NotFound);
        var r = TwoHosts.Place(Def("v1", 4096), "a").Apply(new HostDrainChanged("a", true, T0));
        // The new process takes over the old one's RAM: no room is needed, and a draining host may upgrade.
        var full = Candidates(r, ("a", 4096, 0), ("b", 4096, 0));
        var o = ManagerCommands.Decide(r, full, new UpgradeVm("v1"), T0);
        Assert.Equal("vm v1 moving into a new VMM process on a", Assert.IsType<Done>(o.Reply).Message);
        var began = Assert.IsType<MigrationBegan>(Assert.Single(o.Events));
        Assert.Equal(("v1", "a", "a", 2L), (began.Name, began.From, began.To, began.Incarnation));
        Assert.Equal("vm v1 moving into a new VMM process on a", began.Describe());
        Assert.Equal("vm v1 is already migrating", Refused(ManagerCommands.Decide(r.Apply(began), full, new UpgradeVm("v1"), T0), FailureKind.Conflict).Reason);

        var stopped = r.Apply(new VmStopRequested("v1", T0));
        Assert.Equal("vm v1 is not running", Refused(ManagerCommands.Decide(stopped, full, new UpgradeVm("v1"), T0), FailureKind.Conflict).Reason);
        var down = r.Apply(new HostLeft("a", "gone", T0));
        Assert.Equal("vm v1's host a is down", Refused(ManagerCommands.Decide(down, full, new UpgradeVm("v1"), T0), FailureKind.Conflict).Reason);
    }

    [Fact]
    public void Migrate_respects_the_migration_limits_and_refuses_draining_or_down_targets()
    {
        var r = TwoHosts.Place(Def("v1"), "a").Place(Def("v2"), "a");
        var one = new MigrationLimits(PerHost: 1, PerCluster: 4);
        r = r.Apply(ManagerCommands.Decide(r, Candidates(r, ("a", 4096, 0), ("b", 4096, 0)), new MigrateVm("v1", "b"), T0, one).Events.Single());
        var busy = Refused(ManagerCommands.Decide(r, Candidates(r, ("a", 4096, 0), ("b", 4096, 0)), new MigrateVm("v2", "b"), T0, one), FailureKind.Conflict);
        Assert.StartsWith("too many migrations under way", busy.Reason);
        var drained = r.Apply(new HostDrainChanged("b", true, T0));
        Assert.Equal("host b is draining", Refused(Decide(drained, new MigrateVm("v2", "b")), FailureKind.Conflict).Reason);
        var down = r.Apply(new HostLeft("b", "gone", T0));
        Assert.Equal("host b is down", Refused(Decide(down, new MigrateVm("v2", "b")), FailureKind.Conflict).Reason);
    }

    [Fact]
    public void An_empty_host_drains_and_undrains_and_one_with_vms_begins_migrating_them()
    {
        var r = TwoHosts.Place(Def("v1"), "a");
        var draining = Decide(r, new DrainHost("a"));
        Assert.IsType<HostDrainChanged>(draining.Events[0]);
        Assert.Equal(("v1", "b"), Assert.IsType<MigrationBegan>(Assert.Single(draining.Events.Skip(1))) is var b ? (b.Name, b.To) : default);
        var full = TwoHosts.Place(Def("big", 4000), "a");
        Assert.Contains("no other host has room for big", Refused(ManagerCommands.Decide(full, Candidates(full, ("a", 8192, 0), ("b", 1024, 0)), new DrainHost("a"), T0), FailureKind.NoRoom).Reason);
        var drain = Assert.IsType<HostDrainChanged>(Assert.Single(Decide(r, new DrainHost("b")).Events));
        r = r.Apply(drain);
        Assert.Equal(HostState.Draining, r.Host("b")!.State);
        Assert.Empty(Decide(r, new DrainHost("b")).Events);
        r = r.Apply(Assert.Single(Decide(r, new UndrainHost("b")).Events));
        Assert.Equal(HostState.Up, r.Host("b")!.State);
    }
}

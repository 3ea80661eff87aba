using Tern.Actors.Cluster;
using Tern.Actors.Cluster.Protocol;
using Tern.Devices.Config;
using Tern.Kvm.Boot;

namespace Tern.Actors.Tests.Cluster;

/// <summary>Issue 15: the cluster API refuses what the board cannot boot, with the same limits as the command line.</summary>
public sealed class VmDefinitionTests
{
    private static VmDefinition Valid() => new("vm1", "/k", null, "console=ttyS0", 256UL << 20, 2, []);

    [Fact]
    public void A_valid_definition_has_no_problems() => Assert.Empty(Valid().Problems());

    [Theory]
    [InlineData(0)]
    [InlineData(BootLimits.MaxVcpus + 1)]
    public void Smp_outside_what_the_board_describes_is_a_problem_naming_the_limit(int vcpus)
    {
        var problem = Assert.Single((Valid() with { Vcpus = vcpus }).Problems());
        Assert.Contains($"smp {vcpus}", problem);
        Assert.Contains(BootLimits.MaxVcpus.ToString(), problem);
    }

    [Fact]
    public void Append_longer_than_the_kernel_takes_is_a_problem()
    {
        Assert.Empty((Valid() with { Append = new string('x', BootLimits.MaxCmdlineBytes) }).Problems());
        var problem = Assert.Single((Valid() with { Append = new string('x', 10 << 20) }).Problems());
        Assert.Equal($"append is {10 << 20} bytes, more than {BootLimits.MaxCmdlineBytes}", problem);
    }

    [Fact]
    public void A_huge_name_or_path_is_clipped_in_its_problem()
    {
        var problems = (Valid() with { Name = new string('n', 10_000), Kernel = new string('k', 10_000) }).Problems();
        Assert.Equal(2, problems.Count);
        Assert.All(problems, p => Assert.True(p.Length < 200, p));
    }

    [Fact]
    public void Smp_at_the_limit_is_accepted() => Assert.Empty((Valid() with { Vcpus = BootLimits.MaxVcpus }).Problems());

    /// <summary>Issue 16: memory is judged by VmConfig.Problems, worded in the definition's bytes.</summary>
    [Fact]
    public void Memory_below_the_minimum_or_not_whole_pages_is_a_problem()
    {
        Assert.Empty((Valid() with { MemoryBytes = 32UL << 20 }).Problems());
        Assert.Equal("memory 33550336 bytes is less than the minimum 32 MiB", Assert.Single((Valid() with { MemoryBytes = 33550336 }).Problems()));
        Assert.Equal("memory 268435457 bytes is not a multiple of 4 KiB", Assert.Single((Valid() with { MemoryBytes = (256UL << 20) + 1 }).Problems()));
    }

    /// <summary>A definition from the wire may hold nulls; they are reported, and the limits are still checked.</summary>
    [Fact]
    public void Null_append_and_disks_are_problems_beside_the_limits()
    {
        var problems = (Valid() with { Append = null!, Disks = [null!], Vcpus = 0 }).Problems();
        Assert.Equal(["append must be given (it may be empty)", "smp 0 is outside 1..254", "disk path must be given"], problems);
    }

    [Fact]
    public void Nics_on_valid_bridges_with_distinct_unicast_macs_or_none_are_accepted()
    {
        var nics = new List<VmNic> { new("br0"), new("virbr-lan.15", "52:54:00:AB:cd:01"), new("x", "02:00:00:00:00:01"), new(new string('b', 15)) };
        Assert.Empty((Valid() with { Nics = nics }).Problems());
    }

    [Fact]
    public void More_than_four_nics_is_a_problem()
    {
        var nics = Enumerable.Range(0, VmDefinitionMachine.MaxNics + 1).Select(_ => new VmNic("br0")).ToList();
        Assert.Equal("5 NICs is more than 4", Assert.Single((Valid() with { Nics = nics }).Problems()));
    }

    [Theory]
    [InlineData("")]
    [InlineData("sixteen-chars-no")]
    [InlineData("br/0")]
    [InlineData("br 0")]
    [InlineData("br:0")]
    [InlineData("..")]
    public void A_bridge_that_is_no_interface_name_is_a_problem_naming_it(string bridge)
    {
        var problem = Assert.Single((Valid() with { Nics = [new VmNic(bridge)] }).Problems());
        Assert.StartsWith($"nic 0 bridge '{bridge}' is not an interface name", problem);
    }

    [Theory]
    [InlineData("52:54:00:12:34", "six pairs")]
    [InlineData("52-54-00-12-34-56", "six pairs")]
    [InlineData("01:00:5e:00:00:01", "multicast")]
    [InlineData("ff:ff:ff:ff:ff:ff", "multicast")]
    [InlineData("00:00:00:00:00:00", "all zeros")]
    public void A_mac_that_is_no_unicast_address_is_a_problem_naming_it(string mac, string why)
    {
        var problem = Assert.Single((Valid() with { Nics = [new VmNic("br0", mac)] }).Problems());
        Assert.StartsWith($"nic 0 mac '{mac}' is not a unicast MAC", problem);
        Assert.Contains(why, problem);
    }

    [Fact]
    public void A_mac_two_nics_share_is_a_problem_whatever_its_case()
    {
        var problem = Assert.Single((Valid() with { Nics = [new VmNic("br0", "52:54:00:0a:0b:0c"), new VmNic("br1", "52:54:00:0A:0B:0C")] }).Problems());
        Assert.Equal("nic 1 mac 52:54:00:0a:0b:0c is another NIC's of this VM too", problem);
    }

    [Fact]
    public void A_null_nic_from_the_wire_is_a_problem() =>
        Assert.Equal("nic 0 must be given", Assert.Single((Valid() with { Nics = [null!] }).Problems()));

    [Fact]
    public void Nics_become_taps_and_virtio_net_devices_in_the_slots_after_the_disks()
    {
        var d = Valid() with { Disks = ["/d0", "/d1"], Nics = [new VmNic("br0", "52:54:00:00:00:01"), new VmNic("br1", "52:54:00:00:00:02")] };
        var config = d.ToVmConfig(["tapa", "tapb"]);
        Assert.Equal(["tapa", "tapb"], config.Netdevs.Select(n => n.IfName));
        Assert.Equal(config.Netdevs.Select(n => n.Id), config.NetDevices.Select(n => n.NetdevId));
        Assert.Equal([4, 5], config.NetDevices.Select(n => (int)n.Address.Slot));
        Assert.Equal(["52:54:00:00:00:01", "52:54:00:00:00:02"], config.NetDevices.Select(n => n.Mac.ToString()));
        Assert.Empty(config.Problems());
        Assert.Throws<ArgumentException>(() => d.ToVmConfig());
    }

    [Fact]
    public void Every_kind_of_vm_config_problem_has_a_cluster_wording()
    {
        var samples = new VmConfigProblem[]
        {
            new VmConfigProblem.VcpusOutOfRange(0), new VmConfigProblem.MaxCpusOutOfRange(1, 2),
            new VmConfigProblem.TopologyDoesNotMultiply(new CpuTopology(4, 3, 1, 1, 1, 1)),
            new VmConfigProblem.MemoryBelowMinimum(1), new VmConfigProblem.MemoryNotWholePages(1 << 25 | 1), new VmConfigProblem.AppendTooLong(2048),
        };
        Assert.Equal(typeof(VmConfigProblem).GetNestedTypes().Where(t => t.IsSubclassOf(typeof(VmConfigProblem))).Select(t => t.Name).Order(),
            samples.Select(p => p.GetType().Name).Order());
        Assert.All(samples, p => Assert.NotEmpty(VmConfigProblemText.Describe(p)));
    }
}

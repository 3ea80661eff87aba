using Tern.Devices.Config;
using Tern.Kvm.Boot;

namespace Tern.Devices.Tests.Config;

/// <summary>Issue 16: the limits every front end applies live in VmConfig.Problems, each problem typed with its value and its limit.</summary>
public sealed class VmConfigProblemsTests
{
    private static VmConfig Valid() => new() { Boot = new BootConfig("/k", null, "console=ttyS0"), MemoryBytes = 256UL << 20, Vcpus = 2 };

    [Fact]
    public void A_config_at_every_limit_has_no_problems()
    {
        Assert.Empty(Valid().Problems());
        var atLimits = Valid() with
        {
            Vcpus = BootLimits.MaxVcpus,
            Topology = CpuTopology.SingleSocket(BootLimits.MaxVcpus),
            MemoryBytes = VmConfig.MinimumMemoryBytes,
            Boot = new BootConfig("/k", null, new string('x', BootLimits.MaxCmdlineBytes)),
        };
        Assert.Empty(atLimits.Problems());
    }

    [Theory]
    [InlineData(0)]
    [InlineData(-1)]
    [InlineData(BootLimits.MaxVcpus + 1)]
    public void Vcpus_outside_what_the_board_describes(int vcpus)
    {
        var problem = Assert.IsType<VmConfigProblem.VcpusOutOfRange>(Assert.Single((Valid() with { Vcpus = vcpus }).Problems()));
        Assert.Equal((vcpus, 1, BootLimits.MaxVcpus), (problem.Vcpus, problem.Min, problem.Max));
    }

    [Fact]
    public void Memory_below_the_minimum()
    {
        var problem = Assert.Single((Valid() with { MemoryBytes = VmConfig.MinimumMemoryBytes - VmConfig.MemoryPageBytes }).Problems());
        Assert.Equal(new VmConfigProblem.MemoryBelowMinimum(VmConfig.MinimumMemoryBytes - VmConfig.MemoryPageBytes), problem);
        Assert.Equal(32UL << 20, ((VmConfigProblem.MemoryBelowMinimum)problem).Minimum);
    }

    [Fact]
    public void Memory_that_is_not_whole_pages()
    {
        var problem = Assert.Single((Valid() with { MemoryBytes = (256UL << 20) + 1 }).Problems());
        Assert.Equal(new VmConfigProblem.MemoryNotWholePages((256UL << 20) + 1), problem);
        Assert.Equal(4096UL, ((VmConfigProblem.MemoryNotWholePages)problem).PageBytes);
    }

    [Theory]
    [InlineData(2048, 'x', 2048)]
    [InlineData(1024, '\u00e9', 2048)] // two bytes each in UTF-8: Linux counts bytes, not characters
    public void Append_longer_than_the_boot_protocol_carries(int count, char unit, int bytes)
    {
        var config = Valid() with { Boot = new BootConfig("/k", null, new string(unit, count)) };
        var problem = Assert.IsType<VmConfigProblem.AppendTooLong>(Assert.Single(config.Problems()));
        Assert.Equal((bytes, BootLimits.MaxCmdlineBytes), (problem.Bytes, problem.Max));
    }

    [Theory]
    [InlineData(1)]
    [InlineData(BootLimits.MaxVcpus + 1)]
    public void Topology_maxcpus_below_the_vcpus_or_above_the_limit(int maxCpus)
    {
        var config = Valid() with { Topology = CpuTopology.SingleSocket(maxCpus) };
        Assert.Equal(new VmConfigProblem.MaxCpusOutOfRange(maxCpus, 2), Assert.Single(config.Problems()));
    }

    [Fact]
    public void Topology_whose_product_is_not_maxcpus()
    {
        var topology = new CpuTopology(MaxCpus: 4, Sockets: 3, Dies: 1, Clusters: 1, Cores: 1, Threads: 1);
        Assert.Equal(new VmConfigProblem.TopologyDoesNotMultiply(topology), Assert.Single((Valid() with { Topology = topology }).Problems()));
    }

    [Fact]
    public void Every_problem_is_listed_in_one_fixed_order()
    {
        var config = Valid() with { Vcpus = 0, MemoryBytes = 1, Boot = new BootConfig("/k", null, new string('x', 3000)) };
        Assert.Equal([typeof(VmConfigProblem.AppendTooLong), typeof(VmConfigProblem.MemoryBelowMinimum), typeof(VmConfigProblem.VcpusOutOfRange)],
            config.Problems().Select(p => p.GetType()));
    }
}

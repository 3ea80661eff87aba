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

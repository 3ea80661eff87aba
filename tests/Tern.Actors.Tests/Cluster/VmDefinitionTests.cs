using Tern.Actors.Cluster;
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
}

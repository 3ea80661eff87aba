using Tern.Devices.Config;
using Tern.Host.CommandLine;

namespace Tern.Host.Tests.CommandLine;

/// <summary>Issue 16: the command line words every VmConfig problem in its options, as it did before VmConfig checked the limits.</summary>
public sealed class ConfigProblemTextTests
{
    public static TheoryData<VmConfigProblem, string> Wordings => new()
    {
        { new VmConfigProblem.VcpusOutOfRange(255), "'cpus=255' in -smp is out of range 1..254" },
        { new VmConfigProblem.MaxCpusOutOfRange(2, 4), "-smp maxcpus 2 is out of range 4..254" },
        { new VmConfigProblem.TopologyDoesNotMultiply(new CpuTopology(4, 3, 1, 1, 1, 1)), "-smp '4,sockets=3': sockets*dies*clusters*cores*threads (3*1*1*1*1) must equal maxcpus 4" },
        { new VmConfigProblem.MemoryBelowMinimum(16UL << 20), "memory size '16M' (16777216 bytes) is less than the minimum 32M" },
        { new VmConfigProblem.MemoryNotWholePages(16UL << 20), "memory size '16M' (16777216 bytes) is not a multiple of 4K" },
        { new VmConfigProblem.AppendTooLong(2048), "-append command line is 2048 bytes, more than 2047" },
    };

    [Theory]
    [MemberData(nameof(Wordings))]
    public void Each_problem_names_its_option(VmConfigProblem problem, string message) =>
        Assert.Equal(message, ConfigProblemText.Describe(problem, "memory size '16M' (16777216 bytes)", "4,sockets=3"));

    [Fact]
    public void Every_kind_of_problem_has_a_wording() =>
        Assert.Equal(
            typeof(VmConfigProblem).GetNestedTypes().Where(t => t.IsSubclassOf(typeof(VmConfigProblem))).Select(t => t.Name).Order(),
            Wordings.Select(row => ((VmConfigProblem)row[0]).GetType().Name).Order());

    [Fact]
    public void Memory_not_given_on_the_command_line_is_named_in_bytes() =>
        Assert.Equal("memory size 1 bytes is less than the minimum 32M", ConfigProblemText.Describe(new VmConfigProblem.MemoryBelowMinimum(1), null, null));
}

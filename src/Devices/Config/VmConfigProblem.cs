using Tern.Kvm.Boot;

namespace Tern.Devices.Config;

/// <summary>
/// One limit a <see cref="VmConfig"/> breaks, as <see cref="VmConfig.Problems"/> finds it. Each
/// carries the value and the limit rather than a sentence: the command line words a problem in its
/// options (<c>-m 16M</c>, <c>-append</c>), the HTTP API and the cluster in their fields (memory in
/// bytes, <c>smp</c>), and both must keep saying what they said before.
/// </summary>
public abstract record VmConfigProblem
{
    private VmConfigProblem() { }

    /// <summary>The vCPU count is outside what the board's MP and ACPI tables describe.</summary>
    public sealed record VcpusOutOfRange(int Vcpus) : VmConfigProblem
    {
        public int Min => 1;
        public int Max => BootLimits.MaxVcpus;
    }

    /// <summary>The topology's maxcpus is below the vCPU count or above the board's limit.</summary>
    public sealed record MaxCpusOutOfRange(int MaxCpus, int Min) : VmConfigProblem
    {
        public int Max => BootLimits.MaxVcpus;
    }

    /// <summary>sockets * dies * clusters * cores * threads is not the topology's maxcpus.</summary>
    public sealed record TopologyDoesNotMultiply(CpuTopology Topology) : VmConfigProblem;

    /// <summary>Less RAM than <see cref="VmConfig.MinimumMemoryBytes"/>.</summary>
    public sealed record MemoryBelowMinimum(ulong Bytes) : VmConfigProblem
    {
        public ulong Minimum => VmConfig.MinimumMemoryBytes;
    }

    /// <summary>RAM that is not a whole number of <see cref="VmConfig.MemoryPageBytes"/> pages.</summary>
    public sealed record MemoryNotWholePages(ulong Bytes) : VmConfigProblem
    {
        public ulong PageBytes => VmConfig.MemoryPageBytes;
    }

    /// <summary>A kernel command line longer, in UTF-8 bytes, than the boot protocol carries.</summary>
    public sealed record AppendTooLong(int Bytes) : VmConfigProblem
    {
        public int Max => BootLimits.MaxCmdlineBytes;
    }
}

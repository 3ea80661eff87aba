using System.Text;
using Tern.Kvm.Boot;

namespace Tern.Devices.Config;

public sealed partial record VmConfig
{
    /// <summary>
    /// Every limit this configuration breaks, empty when the board can build it: the one check the
    /// command line, the HTTP API and the cluster definitions make, so their limits cannot drift;
    /// each words the problems its own way. The order (command line, memory, vCPUs, topology) is
    /// the one the cluster has always listed them in. The loaders in Tern.Kvm still throw on
    /// impossible values, as a last line of defence.
    /// </summary>
    public IReadOnlyList<VmConfigProblem> Problems()
    {
        var found = new List<VmConfigProblem>();
        // Linux counts its command line in bytes, so a multi-byte character costs more than one.
        int appendBytes = Encoding.UTF8.GetByteCount(Boot.Cmdline);
        if (appendBytes > BootLimits.MaxCmdlineBytes) found.Add(new VmConfigProblem.AppendTooLong(appendBytes));
        if (MemoryProblem(MemoryBytes) is { } memory) found.Add(memory);
        if (Vcpus is < 1 or > BootLimits.MaxVcpus) found.Add(new VmConfigProblem.VcpusOutOfRange(Vcpus));
        else if (Topology is { } t) found.AddRange(TopologyProblems(t, Vcpus));
        return found;
    }

    /// <summary>The topology is only worth checking once the vCPU count is in range: its bound depends on it.</summary>
    private static IEnumerable<VmConfigProblem> TopologyProblems(CpuTopology t, int vcpus)
    {
        if (t.MaxCpus < vcpus || t.MaxCpus > BootLimits.MaxVcpus)
            yield return new VmConfigProblem.MaxCpusOutOfRange(t.MaxCpus, vcpus);
        else if ((long)t.Sockets * t.Dies * t.Clusters * t.Cores * t.Threads != t.MaxCpus)
            yield return new VmConfigProblem.TopologyDoesNotMultiply(t);
    }

    private static VmConfigProblem? MemoryProblem(ulong bytes) =>
        bytes < MinimumMemoryBytes ? new VmConfigProblem.MemoryBelowMinimum(bytes)
        : bytes % MemoryPageBytes != 0 ? new VmConfigProblem.MemoryNotWholePages(bytes)
        : null;
}

using Tern.Devices.Config;

namespace Tern.Actors.Cluster;

/// <summary>
/// Words a <see cref="VmConfigProblem"/> as the cluster, the HTTP API and <c>tern ctl</c> say it:
/// by the definition's fields (append, memory in bytes, smp), where the command line names its
/// options and quotes their text.
/// </summary>
public static class VmConfigProblemText
{
    public static string Describe(VmConfigProblem problem) => problem switch
    {
        VmConfigProblem.VcpusOutOfRange p => $"smp {p.Vcpus} is outside {p.Min}..{p.Max}",
        VmConfigProblem.MemoryBelowMinimum p => $"memory {p.Bytes} bytes is less than the minimum {p.Minimum >> 20} MiB",
        VmConfigProblem.MemoryNotWholePages p => $"memory {p.Bytes} bytes is not a multiple of {p.PageBytes >> 10} KiB",
        VmConfigProblem.AppendTooLong p => $"append is {p.Bytes} bytes, more than {p.Max}",
        // A definition has no topology of its own (one socket of smp cores); a future field would say so here.
        VmConfigProblem.MaxCpusOutOfRange p => $"maxcpus {p.MaxCpus} is outside {p.Min}..{p.Max}",
        VmConfigProblem.TopologyDoesNotMultiply { Topology: var t } =>
            $"topology {t.Sockets}*{t.Dies}*{t.Clusters}*{t.Cores}*{t.Threads} does not make maxcpus {t.MaxCpus}",
        _ => throw new ArgumentOutOfRangeException(nameof(problem), problem, "a VmConfigProblem with no cluster wording"),
    };
}

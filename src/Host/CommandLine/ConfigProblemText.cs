using Tern.Devices.Config;

namespace Tern.Host.CommandLine;

/// <summary>
/// Words a <see cref="VmConfigProblem"/> in the command line's terms: it names the option that set
/// the value and quotes it as the user wrote it (<c>-m 16M</c> stays 16M), where the HTTP API and
/// the cluster speak of fields and bytes.
/// </summary>
internal static class ConfigProblemText
{
    /// <param name="memoryGiven">How <c>-m</c> names its size (<see cref="MemoryOption.Parse"/>); null when -m was not given.</param>
    /// <param name="smpText">The <c>-smp</c> value as given; null when -smp was not given.</param>
    public static string Describe(VmConfigProblem problem, string? memoryGiven, string? smpText)
    {
        string memory(ulong bytes) => memoryGiven ?? $"memory size {bytes} bytes";
        return problem switch
        {
            VmConfigProblem.VcpusOutOfRange p => $"'cpus={p.Vcpus}' in -smp is out of range {p.Min}..{p.Max}",
            VmConfigProblem.MaxCpusOutOfRange p => $"-smp maxcpus {p.MaxCpus} is out of range {p.Min}..{p.Max}",
            VmConfigProblem.TopologyDoesNotMultiply { Topology: var t } =>
                $"-smp '{EchoedText.Clip(smpText)}': sockets*dies*clusters*cores*threads ({t.Sockets}*{t.Dies}*{t.Clusters}*{t.Cores}*{t.Threads}) must equal maxcpus {t.MaxCpus}",
            VmConfigProblem.MemoryBelowMinimum p => $"{memory(p.Bytes)} is less than the minimum {p.Minimum >> 20}M",
            VmConfigProblem.MemoryNotWholePages p => $"{memory(p.Bytes)} is not a multiple of {p.PageBytes >> 10}K",
            VmConfigProblem.AppendTooLong p => $"-append command line is {p.Bytes} bytes, more than {p.Max}",
            _ => throw new ArgumentOutOfRangeException(nameof(problem), problem, "a VmConfigProblem with no command-line wording"),
        };
    }
}

using Tern.Devices.Config;

namespace Tern.Host.CommandLine;

/// <summary>
/// <c>-smp [cpus=]N[,maxcpus=N][,sockets=N][,dies=N][,clusters=N][,cores=N][,threads=N]</c>,
/// completed as StratoVirt completes it: missing maxcpus is the product of the given topology
/// (or cpus), missing cores, sockets or threads are derived from it, and the product of the
/// topology must equal maxcpus, which lies in cpus..254.
/// </summary>
internal static class SmpOption
{
    public const int MaxVcpus = 254;

    public static (int Cpus, CpuTopology Topology) Parse(string text)
    {
        var p = OptionProperties.Parse("-smp", text, positionalKey: "cpus");
        int cpus = p.TakeInt("cpus", 1, MaxVcpus) ?? throw new CommandLineException("-smp is missing 'cpus='");
        int maxCpus = p.TakeInt("maxcpus", 0, 255) ?? 0;
        int sockets = p.TakeInt("sockets", 0, 254) ?? 0;
        int dies = p.TakeInt("dies", 1, 254) ?? 1;
        int clusters = p.TakeInt("clusters", 1, 254) ?? 1;
        int cores = p.TakeInt("cores", 0, 254) ?? 0;
        int threads = p.TakeInt("threads", 0, 254) ?? 0;
        p.RejectUnknown();

        if (maxCpus == 0)
        {
            long product = (long)sockets * dies * clusters * cores * threads;
            maxCpus = product > 0 ? (int)Math.Min(product, int.MaxValue) : cpus;
        }
        if (maxCpus < cpus || maxCpus > MaxVcpus)
            throw new CommandLineException($"-smp maxcpus {maxCpus} is out of range {cpus}..{MaxVcpus}");

        if (cores == 0)
        {
            if (sockets == 0) sockets = 1;
            if (threads == 0) threads = 1;
            cores = (int)(maxCpus / ((long)sockets * dies * clusters * threads));
        }
        else if (sockets == 0)
        {
            if (threads == 0) threads = 1;
            sockets = (int)(maxCpus / ((long)dies * clusters * cores * threads));
        }
        if (threads == 0) threads = (int)(maxCpus / ((long)sockets * dies * clusters * cores));

        long total = (long)sockets * dies * clusters * cores * threads;
        if (total != maxCpus)
            throw new CommandLineException(
                $"-smp '{text}': sockets*dies*clusters*cores*threads ({sockets}*{dies}*{clusters}*{cores}*{threads}) must equal maxcpus {maxCpus}");
        return (cpus, new CpuTopology(maxCpus, sockets, dies, clusters, cores, threads));
    }
}

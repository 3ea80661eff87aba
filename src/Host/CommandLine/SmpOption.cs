using Tern.Devices.Config;
using Tern.Kvm.Boot;

namespace Tern.Host.CommandLine;

/// <summary>
/// <c>-smp [cpus=]N[,maxcpus=N][,sockets=N][,dies=N][,clusters=N][,cores=N][,threads=N]</c>,
/// completed as StratoVirt completes it: missing maxcpus is the product of the given topology
/// (or cpus), and missing cores, sockets or threads are derived from it. Whether the counts fit
/// the board (cpus and maxcpus in range, the product equal to maxcpus) is
/// <see cref="VmConfig.Problems"/>'s to say, as for every other front end.
/// </summary>
internal static class SmpOption
{
    public static (int Cpus, CpuTopology Topology) Parse(string text)
    {
        var p = OptionProperties.Parse("-smp", text, positionalKey: "cpus");
        int cpus = p.TakeInt("cpus", 0, int.MaxValue) ?? throw new CommandLineException("-smp is missing 'cpus='");
        int maxCpus = p.TakeInt("maxcpus", 0, int.MaxValue) ?? 0;
        // No factor can exceed the vCPU limit when the product must equal maxcpus; bounding each
        // here also keeps the product of five within a long.
        int sockets = p.TakeInt("sockets", 0, BootLimits.MaxVcpus) ?? 0;
        int dies = p.TakeInt("dies", 1, BootLimits.MaxVcpus) ?? 1;
        int clusters = p.TakeInt("clusters", 1, BootLimits.MaxVcpus) ?? 1;
        int cores = p.TakeInt("cores", 0, BootLimits.MaxVcpus) ?? 0;
        int threads = p.TakeInt("threads", 0, BootLimits.MaxVcpus) ?? 0;
        p.RejectUnknown();

        if (maxCpus == 0)
        {
            long product = (long)sockets * dies * clusters * cores * threads;
            maxCpus = product > 0 ? (int)Math.Min(product, int.MaxValue) : cpus;
        }
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
        return (cpus, new CpuTopology(maxCpus, sockets, dies, clusters, cores, threads));
    }
}

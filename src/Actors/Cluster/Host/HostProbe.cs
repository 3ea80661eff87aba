namespace Tern.Actors.Cluster.Host;

/// <summary>Reads this host's counters: CPU ticks, memory, and the CPU demand of given threads of this process.</summary>
public interface IHostProbe
{
    int Cpus { get; }
    CpuTicks CpuTicks();
    (ulong Total, ulong Available) Memory();
    /// <summary>Nanoseconds the threads that still exist among <paramref name="threadIds"/> ran or waited to run.</summary>
    ulong ThreadDemandNs(IEnumerable<int> threadIds);
}

/// <summary>The real probe: /proc/stat, /proc/meminfo, /proc/TID/schedstat (a thread of this process or of a VM process alike).</summary>
public sealed class ProcHostProbe : IHostProbe
{
    public int Cpus => Environment.ProcessorCount;

    public CpuTicks CpuTicks() => ProcFiles.ParseStat(File.ReadAllText("/proc/stat"));

    public (ulong Total, ulong Available) Memory() => ProcFiles.ParseMeminfo(File.ReadAllText("/proc/meminfo"));

    public ulong ThreadDemandNs(IEnumerable<int> threadIds)
    {
        ulong sum = 0;
        foreach (int tid in threadIds)
        {
            try { sum += ProcFiles.ParseSchedstat(File.ReadAllText($"/proc/{tid}/schedstat")); }
            catch (IOException) { } // the thread ended (the VM is stopping)
        }
        return sum;
    }
}

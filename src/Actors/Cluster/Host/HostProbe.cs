namespace Tern.Actors.Cluster;

/// <summary>Reads this host's counters: CPU ticks, memory, and the CPU time of given threads of this process.</summary>
public interface IHostProbe
{
    int Cpus { get; }
    CpuTicks CpuTicks();
    (ulong Total, ulong Available) Memory();
    /// <summary>Total CPU ticks of the threads that still exist among <paramref name="threadIds"/>.</summary>
    ulong ThreadTicks(IEnumerable<int> threadIds);
}

/// <summary>The real probe: /proc/stat, /proc/meminfo, /proc/self/task/TID/stat.</summary>
public sealed class ProcHostProbe : IHostProbe
{
    public int Cpus => Environment.ProcessorCount;

    public CpuTicks CpuTicks() => ProcFiles.ParseStat(File.ReadAllText("/proc/stat"));

    public (ulong Total, ulong Available) Memory() => ProcFiles.ParseMeminfo(File.ReadAllText("/proc/meminfo"));

    public ulong ThreadTicks(IEnumerable<int> threadIds)
    {
        ulong sum = 0;
        foreach (int tid in threadIds)
        {
            try { sum += ProcFiles.ParseThreadStat(File.ReadAllText($"/proc/self/task/{tid}/stat")); }
            catch (IOException) { } // the thread ended (the VM is stopping)
        }
        return sum;
    }
}

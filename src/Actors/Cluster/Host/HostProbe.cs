namespace Tern.Actors.Cluster.Host;

/// <summary>Reads this host's counters: CPU ticks, memory, and the CPU time of given threads (of this process or of a VM process).</summary>
public interface IHostProbe
{
    int Cpus { get; }
    CpuTicks CpuTicks();
    (ulong Total, ulong Available) Memory();
    /// <summary>Nanoseconds the threads that still exist among <paramref name="threadIds"/> ran and waited to run.</summary>
    ThreadTime ThreadTimes(IEnumerable<int> threadIds);
}

/// <summary>The real probe: /proc/stat, /proc/meminfo, /proc/TID/schedstat (a thread of this process or of a VM process alike).</summary>
public sealed class ProcHostProbe : IHostProbe
{
    public int Cpus => Environment.ProcessorCount;

    public CpuTicks CpuTicks() => ProcFiles.ParseStat(File.ReadAllText("/proc/stat"));

    public (ulong Total, ulong Available) Memory() => ProcFiles.ParseMeminfo(File.ReadAllText("/proc/meminfo"));

    public ThreadTime ThreadTimes(IEnumerable<int> threadIds)
    {
        var sum = default(ThreadTime);
        foreach (int tid in threadIds)
        {
            try { sum += ProcFiles.ParseSchedstat(File.ReadAllText($"/proc/{tid}/schedstat")); }
            catch (IOException) { } // the thread ended (the VM is stopping)
        }
        return sum;
    }
}

/// <summary>Nanoseconds threads ran (<paramref name="RunNs"/>) and waited on a run queue (<paramref name="WaitNs"/>).</summary>
public readonly record struct ThreadTime(ulong RunNs, ulong WaitNs)
{
    /// <summary>What the threads wanted of the CPU: not only what they got.</summary>
    public ulong DemandNs => RunNs + WaitNs;

    public static ThreadTime operator +(ThreadTime a, ThreadTime b) => new(a.RunNs + b.RunNs, a.WaitNs + b.WaitNs);
}

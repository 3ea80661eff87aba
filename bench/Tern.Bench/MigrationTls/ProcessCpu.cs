namespace Tern.Bench.MigrationTls;

/// <summary>CPU time a process has used, user plus system, from /proc/PID/stat (every thread, children not included).</summary>
public static class ProcessCpu
{
    /// <summary>USER_HZ: /proc counts in clock ticks of 1/100 s on Linux.</summary>
    private const double TicksPerSecond = 100;

    public static double Seconds(int pid)
    {
        string stat = File.ReadAllText($"/proc/{pid}/stat");
        // The command name (field 2) is in parentheses and may hold spaces: count fields after its ')'.
        var fields = stat[(stat.LastIndexOf(')') + 2)..].Split(' ');
        // fields[0] is field 3 (state): utime is field 14, stime field 15.
        return (long.Parse(fields[11]) + long.Parse(fields[12])) / TicksPerSecond;
    }
}

using System.Globalization;

namespace Tern.Actors.Cluster.Host;

/// <summary>CPU time counters in clock ticks: the busy part and the total.</summary>
public readonly record struct CpuTicks(ulong Busy, ulong Total)
{
    /// <summary>Share of time busy between <paramref name="earlier"/> and this sample, 0..1.</summary>
    public double LoadSince(CpuTicks earlier) =>
        Total > earlier.Total ? Math.Clamp((double)(Busy - Math.Min(Busy, earlier.Busy)) / (Total - earlier.Total), 0, 1) : 0;
}

/// <summary>Parsers for the /proc files a host reads its load from (proc(5)); pure, so they are tested on sample text.</summary>
public static class ProcFiles
{
    /// <summary>The aggregate <c>cpu</c> line of /proc/stat: idle and iowait are idle, the rest (user .. steal) busy.</summary>
    public static CpuTicks ParseStat(string text)
    {
        var line = text.Split('\n').FirstOrDefault(l => l.StartsWith("cpu ", StringComparison.Ordinal))
            ?? throw new FormatException("/proc/stat has no aggregate cpu line");
        var fields = line.Split(' ', StringSplitOptions.RemoveEmptyEntries).Skip(1).Take(8).Select(ulong.Parse).ToArray();
        if (fields.Length < 5) throw new FormatException($"/proc/stat cpu line is too short: '{line}'");
        ulong total = fields.Aggregate(0UL, (a, b) => a + b);
        ulong idle = fields[3] + fields[4];
        return new CpuTicks(total - idle, total);
    }

    /// <summary>MemTotal and MemAvailable of /proc/meminfo, in bytes.</summary>
    public static (ulong Total, ulong Available) ParseMeminfo(string text)
    {
        ulong Field(string name)
        {
            var line = text.Split('\n').FirstOrDefault(l => l.StartsWith(name + ":", StringComparison.Ordinal))
                ?? throw new FormatException($"/proc/meminfo has no {name}");
            var parts = line[(name.Length + 1)..].Trim().Split(' ', StringSplitOptions.RemoveEmptyEntries);
            return ulong.Parse(parts[0], CultureInfo.InvariantCulture) * (parts.Length > 1 && parts[1] == "kB" ? 1024UL : 1UL);
        }
        return (Field("MemTotal"), Field("MemAvailable"));
    }

    /// <summary>
    /// Run time and run-queue wait of a /proc/PID/task/TID/schedstat line, in nanoseconds. Both count
    /// for a VM's load: what the thread wanted of the CPU, not only what it got, so a VM on a host
    /// short of CPU still shows its whole load (CPU time alone would shrink as the host gets busier and hide it).
    /// </summary>
    public static ThreadTime ParseSchedstat(string text)
    {
        var fields = text.Split(' ', StringSplitOptions.RemoveEmptyEntries);
        if (fields.Length < 2) throw new FormatException($"schedstat is too short: '{text.Trim()}'");
        return new ThreadTime(ulong.Parse(fields[0], CultureInfo.InvariantCulture), ulong.Parse(fields[1], CultureInfo.InvariantCulture));
    }
}

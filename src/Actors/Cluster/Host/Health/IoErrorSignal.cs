namespace Tern.Actors.Cluster.Host.Health;

/// <summary>
/// I/O errors on the disks that hold this host's VM disk images: a disk that starts failing
/// requests will soon fail the guests, while they can still be moved off it. The disks are looked
/// up on every sample, as VMs come and go; each counter has its own baseline.
/// </summary>
internal sealed class IoErrorSignal(string sysfsRoot, CountLimit limit, Func<IReadOnlyList<string>> diskPaths, OnceWarnings warnings) : IHealthSignal
{
    private readonly CounterGroup _counters = new();
    private readonly Dictionary<string, string> _diskOf = new(StringComparer.Ordinal);

    public string Name => "io-errors";

    public HealthReading Sample(DateTime now)
    {
        // Partitions of one disk, and the images on one file system, share a counter: read it once.
        var counters = diskPaths().SelectMany(file => BlockDeviceCounters.Of(sysfsRoot, file, warnings)).DistinctBy(c => c.Path);
        foreach (var counter in counters)
        {
            _diskOf[counter.Path] = counter.Disk;
            if (CounterFile.Read(counter.Path, _counters.Knows(counter.Path), warnings) is { } value) _counters.Add(counter.Path, now, value);
        }
        var grown = _counters.Increases(now, limit.Window);
        ulong total = grown.Aggregate(0UL, (sum, c) => sum + c.Increase);
        if (total < (ulong)limit.Threshold) return HealthReading.Good;
        string disks = string.Join(", ", grown.Select(c => _diskOf[c.Path]).Distinct().Order(StringComparer.Ordinal));
        return HealthReading.BadBecause($"{ReasonText.Count(total, "I/O error")} in {ReasonText.Duration(limit.Window)} ({disks})");
    }
}

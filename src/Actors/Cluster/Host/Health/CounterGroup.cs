namespace Tern.Actors.Cluster.Host.Health;

/// <summary>
/// Error counters of one kind kept apart by file, each with its own baseline: a counter first seen
/// later (a memory controller that appears, the disk of a VM just started) brings its past errors
/// with it, and those are not new. A counter no longer sampled drops out once its window has passed.
/// </summary>
internal sealed class CounterGroup
{
    private readonly Dictionary<string, CounterHistory> _counters = new(StringComparer.Ordinal);

    public IReadOnlyCollection<string> Known => _counters.Keys;

    public bool Knows(string path) => _counters.ContainsKey(path);

    public void Add(string path, DateTime at, ulong value)
    {
        if (!_counters.TryGetValue(path, out var history)) _counters[path] = history = new CounterHistory();
        history.Add(at, value);
    }

    /// <summary>The counters that grew within the window, with how much.</summary>
    public IReadOnlyList<(string Path, ulong Increase)> Increases(DateTime now, TimeSpan window)
    {
        var grown = new List<(string, ulong)>();
        foreach (var (path, history) in _counters.ToList())
        {
            ulong increase = history.IncreaseOver(now, window);
            if (increase > 0) grown.Add((path, increase));
            else if (history.LastSampled <= now - window) _counters.Remove(path);
        }
        return grown;
    }
}

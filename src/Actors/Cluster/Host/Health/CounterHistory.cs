namespace Tern.Actors.Cluster.Host.Health;

/// <summary>
/// The samples of one error counter that a window needs. The first sample is the baseline: errors
/// counted before the node started watching are old news. A counter that goes back (the driver
/// reloaded, the counters reset) starts a new baseline rather than counting as errors.
/// </summary>
internal sealed class CounterHistory
{
    // Growth since the first sample, so a reset in between does not disturb the sums.
    private readonly List<(DateTime At, ulong Growth)> _samples = [];
    private ulong _lastValue;

    public DateTime LastSampled => _samples[^1].At;

    public void Add(DateTime at, ulong value)
    {
        ulong growth = _samples.Count == 0 ? 0 : _samples[^1].Growth + (value >= _lastValue ? value - _lastValue : 0);
        _samples.Add((at, growth));
        _lastValue = value;
    }

    /// <summary>
    /// How much the counter grew within <paramref name="window"/> before <paramref name="now"/>: from
    /// the value it had when the window opened (its last sample then, or the baseline) to its latest.
    /// Samples older than that one are dropped: no later window needs them.
    /// </summary>
    public ulong IncreaseOver(DateTime now, TimeSpan window)
    {
        int opening = _samples.FindLastIndex(s => s.At <= now - window);
        if (opening > 0) _samples.RemoveRange(0, opening);
        return _samples[^1].Growth - _samples[0].Growth;
    }
}

using System.Diagnostics;

namespace Tern.Actors.Migration.Engine.Source;

/// <summary>
/// Keeps the average send rate at or under max-bandwidth by sleeping between batches (0 = unlimited).
/// Thread-safe: multifd's channels share one limit.
/// </summary>
internal sealed class BandwidthLimiter(Func<long> bytesPerSecond)
{
    private readonly Stopwatch _clock = Stopwatch.StartNew();
    private long _bytes;

    public void Sent(long bytes, CancellationToken cancel)
    {
        long limit = bytesPerSecond();
        TimeSpan ahead;
        lock (_clock)
        {
            _bytes += bytes;
            if (limit <= 0) return;
            ahead = TimeSpan.FromSeconds((double)_bytes / limit) - _clock.Elapsed;
            if (_clock.Elapsed > TimeSpan.FromSeconds(1) && ahead <= TimeSpan.Zero)
            {
                // Measure over a sliding second so a changed limit takes effect quickly.
                _clock.Restart();
                _bytes = 0;
            }
        }
        if (ahead > TimeSpan.FromMilliseconds(1)) cancel.WaitHandle.WaitOne(ahead);
    }
}

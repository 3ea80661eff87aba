using System.Diagnostics;

namespace Tern.Actors.Migration.Source;

/// <summary>Keeps the average send rate at or under max-bandwidth by sleeping between batches (0 = unlimited).</summary>
internal sealed class BandwidthLimiter(Func<long> bytesPerSecond)
{
    private readonly Stopwatch _clock = Stopwatch.StartNew();
    private long _bytes;

    public void Sent(long bytes, CancellationToken cancel)
    {
        long limit = bytesPerSecond();
        _bytes += bytes;
        if (limit <= 0) return;
        var due = TimeSpan.FromSeconds((double)_bytes / limit);
        var ahead = due - _clock.Elapsed;
        if (ahead > TimeSpan.FromMilliseconds(1)) cancel.WaitHandle.WaitOne(ahead);
        if (_clock.Elapsed > TimeSpan.FromSeconds(1))
        {
            // Measure over a sliding second so a changed limit takes effect quickly.
            _clock.Restart();
            _bytes = 0;
        }
    }
}

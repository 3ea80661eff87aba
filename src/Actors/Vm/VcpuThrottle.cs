namespace Tern.Actors.Vm;

/// <summary>
/// Auto-converge's brake: at p percent, every vCPU is kicked out of the guest once per time slice
/// and sleeps p/(100-p) of a slice before going back in, so the guest runs (100-p) % of the time
/// and dirties memory that much slower. A percent of 0 stops the kicks.
/// </summary>
internal sealed class VcpuThrottle : IDisposable
{
    public static readonly TimeSpan TimeSlice = TimeSpan.FromMilliseconds(10);

    private readonly IReadOnlyList<VcpuThread> _threads;
    private readonly Timer _timer;
    private volatile int _percent;

    public VcpuThrottle(IReadOnlyList<VcpuThread> threads)
    {
        _threads = threads;
        _timer = new Timer(_ => Kick(), null, Timeout.Infinite, Timeout.Infinite);
    }

    public int Percent => _percent;

    /// <summary>How long a vCPU sleeps each time it is kicked at the current percent.</summary>
    public TimeSpan SleepPerKick
    {
        get
        {
            int p = _percent;
            return p <= 0 ? TimeSpan.Zero : TimeSlice * p / (100 - p);
        }
    }

    public void Set(int percent)
    {
        _percent = Math.Clamp(percent, 0, 99);
        var period = _percent == 0 ? Timeout.InfiniteTimeSpan : TimeSlice + SleepPerKick;
        _timer.Change(period, period);
    }

    private void Kick()
    {
        foreach (var t in _threads) t.KickForThrottle();
    }

    public void Dispose() => _timer.Dispose();
}

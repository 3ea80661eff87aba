namespace Tern.Actors.Migration.Engine.Source;

/// <summary>
/// The link's send rate as the convergence decision should see it. A round that moved only a few
/// pages measures mostly fixed costs (the sync ioctls, one flush), not the link, so rounds below
/// <see cref="MinimumSample"/> bytes keep the previous estimate; larger ones replace it.
/// </summary>
public sealed class LinkBandwidth
{
    public const long MinimumSample = 4 << 20;

    /// <summary>Bytes per second; 0 until a round has been large enough to measure.</summary>
    public double BytesPerSecond { get; private set; }

    public void Round(long bytes, TimeSpan elapsed)
    {
        double seconds = Math.Max(elapsed.TotalSeconds, 1e-4);
        if (bytes >= MinimumSample || BytesPerSecond == 0) BytesPerSecond = bytes / seconds;
    }
}

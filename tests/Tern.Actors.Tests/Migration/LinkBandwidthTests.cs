using Tern.Actors.Migration.Engine.Source;

namespace Tern.Actors.Tests.Migration;

public sealed class LinkBandwidthTests
{
    [Fact]
    public void A_large_round_sets_the_estimate_and_a_tiny_one_keeps_it()
    {
        var link = new LinkBandwidth();
        link.Round(100 << 20, TimeSpan.FromMilliseconds(250));
        Assert.Equal(400.0 * (1 << 20), link.BytesPerSecond, 1.0);

        // 80 KiB in 1 ms is mostly the sync's fixed cost: it must not drag the estimate down.
        link.Round(80 << 10, TimeSpan.FromMilliseconds(1));
        Assert.Equal(400.0 * (1 << 20), link.BytesPerSecond, 1.0);

        link.Round(8 << 20, TimeSpan.FromMilliseconds(80));
        Assert.Equal(100.0 * (1 << 20), link.BytesPerSecond, 1.0);
    }

    [Fact]
    public void The_first_round_counts_whatever_its_size()
    {
        var link = new LinkBandwidth();
        link.Round(1 << 20, TimeSpan.FromMilliseconds(10));
        Assert.Equal(100.0 * (1 << 20), link.BytesPerSecond, 1.0);
    }
}

using Tern.Actors.Cluster.Host.Health;
using static Tern.Actors.Tests.Cluster.Health.FakeHostFiles;

namespace Tern.Actors.Tests.Cluster.Health;

public sealed class CounterHistoryTests
{
    private static readonly TimeSpan Window = TimeSpan.FromMinutes(10);

    [Fact]
    public void The_first_sample_is_the_baseline()
    {
        var history = new CounterHistory();
        history.Add(T0, 500);
        Assert.Equal(0UL, history.IncreaseOver(T0, Window));
        history.Add(T0.AddMinutes(1), 503);
        Assert.Equal(3UL, history.IncreaseOver(T0.AddMinutes(1), Window));
    }

    [Fact]
    public void Growth_seen_before_the_window_opened_no_longer_counts()
    {
        var history = new CounterHistory();
        history.Add(T0, 0);
        history.Add(T0.AddMinutes(2), 4);
        history.Add(T0.AddMinutes(8), 6);
        Assert.Equal(6UL, history.IncreaseOver(T0.AddMinutes(8), Window));
        history.Add(T0.AddMinutes(12), 6); // the window opens at 2 min: the 4 seen by then are out
        Assert.Equal(2UL, history.IncreaseOver(T0.AddMinutes(12), Window));
        history.Add(T0.AddMinutes(18), 6);
        Assert.Equal(0UL, history.IncreaseOver(T0.AddMinutes(18), Window));
    }

    [Fact]
    public void A_counter_that_goes_back_starts_a_new_baseline()
    {
        var history = new CounterHistory();
        history.Add(T0, 10);
        history.Add(T0.AddMinutes(1), 12);
        history.Add(T0.AddMinutes(2), 0); // counters reset
        history.Add(T0.AddMinutes(3), 1);
        Assert.Equal(3UL, history.IncreaseOver(T0.AddMinutes(3), Window));
    }

    [Theory]
    [InlineData("12\n", 12UL)]
    [InlineData("0x1f\n", 31UL)]
    [InlineData("0X0", 0UL)]
    [InlineData("-1", null)]
    [InlineData("lots", null)]
    [InlineData("", null)]
    [InlineData("0x", null)]
    public void Counter_files_hold_decimal_or_0x_hexadecimal(string text, ulong? value) =>
        Assert.Equal(value, CounterFile.Parse(text));
}

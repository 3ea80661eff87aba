using Tern.Actors.Cluster.Host.Health;

namespace Tern.Actors.Tests.Cluster.Health;

public sealed class ReasonTextTests
{
    [Theory]
    [InlineData(3_600_000L, "1h")]
    [InlineData(7_200_000L, "2h")]
    [InlineData(600_000L, "10m")]
    [InlineData(5_400_000L, "90m")]
    [InlineData(60_000L, "60s")]
    [InlineData(90_000L, "90s")]
    [InlineData(10_000L, "10s")]
    [InlineData(500L, "500ms")]
    [InlineData(1_500L, "1500ms")]
    public void Durations_are_written_as_they_would_be_in_hocon(long ms, string text) =>
        Assert.Equal(text, ReasonText.Duration(TimeSpan.FromMilliseconds(ms)));

    [Fact]
    public void Counts_name_one_thing_in_the_singular() =>
        Assert.Equal(("1 I/O error", "2 I/O errors", "0 I/O errors"), (ReasonText.Count(1, "I/O error"), ReasonText.Count(2, "I/O error"), ReasonText.Count(0, "I/O error")));
}

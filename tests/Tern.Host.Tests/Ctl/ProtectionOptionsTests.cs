using Tern.Actors.Cluster.Protocol;
using Tern.Host.Ctl;

namespace Tern.Host.Tests.Ctl;

/// <summary><c>tern ctl protect --standby --epoch</c> and <c>create --protect</c>: the protection they ask for, or one line saying which option is wrong.</summary>
public sealed class ProtectionOptionsTests
{
    [Theory]
    [InlineData("50ms", 50)]
    [InlineData("50", 50)]
    [InlineData("1s", 1000)]
    [InlineData("10ms", 10)]
    [InlineData("10s", 10_000)]
    [InlineData("0025", 25)]
    public void An_epoch_is_milliseconds_or_seconds(string text, int ms) => Assert.Equal(ms, ProtectionOptions.EpochMs(text));

    [Theory]
    [InlineData("", "expected a duration such as 50ms, 50 (ms) or 1s")]
    [InlineData("ms", "expected a duration such as 50ms, 50 (ms) or 1s")]
    [InlineData("fast", "expected a duration such as 50ms, 50 (ms) or 1s")]
    [InlineData("1.5s", "expected a duration such as 50ms, 50 (ms) or 1s")]
    [InlineData("-50ms", "expected a duration such as 50ms, 50 (ms) or 1s")]
    [InlineData(" 50", "expected a duration such as 50ms, 50 (ms) or 1s")]
    [InlineData("50 ms", "expected a duration such as 50ms, 50 (ms) or 1s")]
    [InlineData("1m", "expected a duration such as 50ms, 50 (ms) or 1s")]
    [InlineData("50MS", "expected a duration such as 50ms, 50 (ms) or 1s")]
    [InlineData("99999999999", "expected a duration such as 50ms, 50 (ms) or 1s")]
    [InlineData("3000000s", "expected a duration such as 50ms, 50 (ms) or 1s")]
    [InlineData("5ms", "the epoch must be 10 to 10000 ms, not 5")]
    [InlineData("0", "the epoch must be 10 to 10000 ms, not 0")]
    [InlineData("11s", "the epoch must be 10 to 10000 ms, not 11000")]
    public void A_bad_epoch_is_a_usage_error_naming_the_option(string text, string why)
    {
        var e = Assert.Throws<CtlUsageException>(() => ProtectionOptions.EpochMs(text));
        Assert.Equal($"--epoch '{text}': {why}", e.Message);
    }

    [Fact]
    public void Protect_without_options_asks_for_the_managers_choice_and_the_default_epoch() =>
        Assert.Equal(new ProtectionRequest(null, ProtectionRequest.DefaultEpochMs), ProtectionOptions.Request(null, null));

    [Fact]
    public void Protect_with_options_asks_for_that_standby_and_epoch() =>
        Assert.Equal(new ProtectionRequest("h2", 1000), ProtectionOptions.Request("h2", "1s"));

    [Theory]
    [InlineData(null, null, null, ProtectionRequest.DefaultEpochMs)]
    [InlineData("h3", "25ms", "h3", 25)]
    public void Create_with_protect_asks_for_protection(string? standby, string? epoch, string? expectedStandby, int expectedEpochMs) =>
        Assert.Equal(new ProtectionRequest(expectedStandby, expectedEpochMs), ProtectionOptions.ForCreate(true, standby, epoch));

    [Fact]
    public void Create_without_protect_asks_for_none() => Assert.Null(ProtectionOptions.ForCreate(false, null, null));

    [Theory]
    [InlineData("h2", null, "--standby needs --protect")]
    [InlineData(null, "50ms", "--epoch needs --protect")]
    [InlineData("h2", "50ms", "--standby and --epoch need --protect")]
    [InlineData(null, "nonsense", "--epoch needs --protect")]
    public void Standby_or_epoch_without_protect_is_refused(string? standby, string? epoch, string message) =>
        Assert.Equal(message, Assert.Throws<CtlUsageException>(() => ProtectionOptions.ForCreate(false, standby, epoch)).Message);

    [Fact]
    public void Create_with_protect_and_a_bad_epoch_names_the_epoch() =>
        Assert.Equal("--epoch '2': the epoch must be 10 to 10000 ms, not 2", Assert.Throws<CtlUsageException>(() => ProtectionOptions.ForCreate(true, null, "2")).Message);
}

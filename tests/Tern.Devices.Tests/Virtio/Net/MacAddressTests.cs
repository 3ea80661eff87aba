using Tern.Devices.Config;

namespace Tern.Devices.Tests.Virtio.Net;

public sealed class MacAddressTests
{
    [Theory]
    [InlineData("52:54:00:12:34:56")]
    [InlineData("02:AB:cd:00:00:01")]
    public void Parses_six_hex_pairs(string text) =>
        Assert.Equal(text.ToLowerInvariant(), MacAddress.TryParse(text, out _)!.Value.ToString());

    [Theory]
    [InlineData("52:54:00:12:34", "six pairs")]
    [InlineData("52-54-00-12-34-56", "six pairs")]
    [InlineData("52:54:00:12:34:5g", "six pairs")]
    [InlineData("01:00:5e:00:00:01", "multicast")]
    [InlineData("00:00:00:00:00:00", "zeros")]
    public void Refuses_what_no_nic_can_have(string text, string why)
    {
        Assert.Null(MacAddress.TryParse(text, out var error));
        Assert.Contains(why, error);
    }

    [Fact]
    public void Generated_addresses_are_locally_administered_unicast_in_52_54_00()
    {
        var mac = MacAddress.Generate();
        Assert.StartsWith("52:54:00:", mac.ToString());
        Assert.False(mac.IsMulticast);
    }
}

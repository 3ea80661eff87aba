using System.Text.Json;
using Tern.Actors.Cluster.Protocol;
using Tern.Host.Api;
using Tern.Host.Ctl;

namespace Tern.Host.Tests.Ctl;

/// <summary><c>tern ctl create --nic</c> and the API's create body: NICs as the definition carries them.</summary>
public sealed class NicOptionTests
{
    [Theory]
    [InlineData("bridge=br0", "br0", null)]
    [InlineData("bridge=br0,mac=52:54:00:12:34:56", "br0", "52:54:00:12:34:56")]
    [InlineData("mac=52:54:00:12:34:56,bridge=lan", "lan", "52:54:00:12:34:56")]
    public void A_nic_option_names_its_bridge_and_maybe_its_mac(string text, string bridge, string? mac) =>
        Assert.Equal(new VmNic(bridge, mac), NicOption.Parse(text));

    [Theory]
    [InlineData("br0", "'br0' is not bridge=BR or mac=MAC")]
    [InlineData("mac=52:54:00:12:34:56", "bridge=BR must be given")]
    [InlineData("bridge=a,bridge=b", "bridge= is given twice")]
    [InlineData("bridge=a,mac", "mac needs a value (mac=...)")]
    [InlineData("bridge=a,model=e1000", "'model=e1000' is not bridge=BR or mac=MAC")]
    public void A_malformed_nic_option_is_one_line_naming_it(string text, string why)
    {
        var e = Assert.Throws<CtlUsageException>(() => NicOption.Parse(text));
        Assert.Equal($"--nic '{text}': {why}", e.Message);
    }

    [Fact]
    public void The_api_create_body_carries_nics_with_or_without_a_mac()
    {
        const string body = """{"name":"v","kernel":"/k","nics":[{"bridge":"br0"},{"bridge":"br1","mac":"52:54:00:00:00:02"}]}""";
        var request = JsonSerializer.Deserialize(body, ApiJson.Info<CreateVmRequest>())!;
        Assert.Equal([new VmNic("br0"), new VmNic("br1", "52:54:00:00:00:02")], request.Nics);
        Assert.Null(JsonSerializer.Deserialize("""{"name":"v"}""", ApiJson.Info<CreateVmRequest>())!.Nics);
    }

    [Fact]
    public void A_vm_view_shows_its_nics_bridge_and_mac()
    {
        var definition = new VmDefinition("v", "/k", null, "", 64UL << 20, 1, [], null, [new VmNic("br0", "52:54:00:00:00:01")]);
        string json = JsonSerializer.Serialize(new[] { new VmView("v", "h1", VmState.Running, 64UL << 20, 1, 3, null, definition) }, ApiJson.Info<VmView[]>());
        var nic = JsonDocument.Parse(json).RootElement[0].GetProperty("definition").GetProperty("nics")[0];
        Assert.Equal(("br0", "52:54:00:00:00:01"), (nic.GetProperty("bridge").GetString(), nic.GetProperty("mac").GetString()));
    }
}

using Tern.Host.CommandLine;
using Tern.Host.VmProcess;

namespace Tern.Host.Tests.VmProcess;

public sealed class VmProcessOptionsTests
{
    [Fact]
    public void The_options_a_node_writes_read_back_the_same()
    {
        var options = new VmProcessOptions("/data/vms/7/channel.sock", 7, TimeSpan.FromMilliseconds(1500), "/data/tls", 65536, ["-kernel", "/k", "-append", "a b"]);

        var args = options.ToArguments();
        Assert.Equal("vm", args[0]);
        var back = VmProcessOptions.Parse(args.Skip(1).ToArray());

        Assert.Equal(options with { Machine = [] }, back with { Machine = [] });
        Assert.Equal(options.Machine, back.Machine);
    }

    [Theory]
    [InlineData("tern vm: the machine's options must follow '--'", "--channel", "/s", "--incarnation", "1", "--node-gone-after-ms", "10")]
    [InlineData("tern vm: --channel is required", "--incarnation", "1", "--node-gone-after-ms", "10", "--")]
    [InlineData("tern vm: --incarnation is required", "--channel", "/s", "--node-gone-after-ms", "10", "--")]
    [InlineData("tern vm: --node-gone-after-ms is required", "--channel", "/s", "--incarnation", "1", "--")]
    [InlineData("tern vm: --incarnation '-1' is not a number in 0..", "--incarnation", "-1")]
    [InlineData("tern vm: --node-gone-after-ms '0' is not a number in 1..3600000", "--node-gone-after-ms", "0")]
    [InlineData("tern vm: --console-bytes 'lots' is not a number", "--console-bytes", "lots")]
    [InlineData("tern vm: unknown option '--bogus'", "--bogus")]
    [InlineData("tern vm: --channel needs a value", "--channel")]
    public void A_bad_option_is_named(string expected, params string[] args)
    {
        var e = Assert.Throws<CommandLineException>(() => VmProcessOptions.Parse(args));
        Assert.StartsWith(expected, e.Message);
    }
}

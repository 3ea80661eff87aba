using Tern.Host.CommandLine;
using Tern.Host.VmProcess;

namespace Tern.Host.Tests.VmProcess;

public sealed class VmProcessOptionsTests
{
    [Fact]
    public void The_options_a_node_writes_read_back_the_same()
    {
        var options = new VmProcessOptions("vm1", "/data/vms/7/channel.sock", 7, TimeSpan.FromMilliseconds(1500), 65536, ["-kernel", "/k", "-append", "a b"]);

        var args = options.ToArguments();
        Assert.Equal(["vm", "vm1"], args.Take(2));
        var back = VmProcessOptions.Parse(args.Skip(1).ToArray());

        Assert.Equal(options with { Machine = [] }, back with { Machine = [] });
        Assert.Equal(options.Machine, back.Machine);
    }

    [Fact]
    public void The_sandbox_and_the_user_to_become_read_back_the_same()
    {
        var options = new VmProcessOptions("vm1", "/data/vms/7/channel.sock", 7, TimeSpan.FromSeconds(1), 65536, ["-kernel", "/k"],
            Sandbox: true, RunAs: new VmProcessUser(100007, 100007));

        var args = options.ToArguments();
        Assert.Equal(["--sandbox", "--run-as", "100007:100007", "--"], args.SkipWhile(a => a != "--sandbox").Take(4));
        var back = VmProcessOptions.Parse(args.Skip(1).ToArray());

        Assert.True(back.Sandbox);
        Assert.Equal(new VmProcessUser(100007, 100007), back.RunAs);
        Assert.False(VmProcessOptions.Parse(["vm1", "--channel", "/s", "--incarnation", "1", "--node-gone-after-ms", "10", "--"]).Sandbox);
    }

    [Theory]
    [InlineData("0:100")]
    [InlineData("100:0")]
    [InlineData("100")]
    [InlineData("100:100:100")]
    [InlineData("4294967295:100")]
    [InlineData("root:root")]
    public void A_user_that_is_root_or_not_two_ids_is_refused(string runAs)
    {
        var e = Assert.Throws<CommandLineException>(() => VmProcessOptions.Parse(["vm1", "--run-as", runAs]));
        Assert.StartsWith($"tern vm: --run-as '{runAs}' is not UID:GID", e.Message);
    }

    [Theory]
    [InlineData("tern vm: the machine's options must follow '--'", "vm1", "--channel", "/s", "--incarnation", "1", "--node-gone-after-ms", "10")]
    [InlineData("tern vm: --channel is required", "vm1", "--incarnation", "1", "--node-gone-after-ms", "10", "--")]
    [InlineData("tern vm: --incarnation is required", "vm1", "--channel", "/s", "--node-gone-after-ms", "10", "--")]
    [InlineData("tern vm: --node-gone-after-ms is required", "vm1", "--channel", "/s", "--incarnation", "1", "--")]
    [InlineData("tern vm: --incarnation '-1' is not a number in 0..", "vm1", "--incarnation", "-1")]
    [InlineData("tern vm: --node-gone-after-ms '0' is not a number in 1..3600000", "vm1", "--node-gone-after-ms", "0")]
    [InlineData("tern vm: --console-bytes 'lots' is not a number", "vm1", "--console-bytes", "lots")]
    [InlineData("tern vm: unknown option '--bogus'", "vm1", "--bogus")]
    [InlineData("tern vm: --channel needs a value", "vm1", "--channel")]
    [InlineData("tern vm: the VM's name must come first", "--channel", "/s")]
    public void A_bad_option_is_named(string expected, params string[] args)
    {
        var e = Assert.Throws<CommandLineException>(() => VmProcessOptions.Parse(args));
        Assert.StartsWith(expected, e.Message);
    }
}

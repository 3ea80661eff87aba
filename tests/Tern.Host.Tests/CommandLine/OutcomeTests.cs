using Tern.Host.CommandLine;

namespace Tern.Host.Tests.CommandLine;

public sealed class OutcomeTests : CommandLineTestBed
{
    [Theory]
    [InlineData("-version")]
    [InlineData("-V")]
    [InlineData("--version")]
    public void Version_is_requested_without_a_kernel(string option)
    {
        var outcome = VmCommandLine.Interpret([option], Host);
        var version = Assert.IsType<CommandLineOutcome.VersionRequested>(outcome);
        Assert.StartsWith("tern ", version.Text);
        Assert.Equal(VmCommandLine.VersionText, version.Text);
    }

    [Theory]
    [InlineData("-h")]
    [InlineData("-help")]
    [InlineData("--help")]
    public void Help_is_requested_and_lists_the_options(string option)
    {
        var help = Assert.IsType<CommandLineOutcome.HelpRequested>(VmCommandLine.Interpret(["-m", "512M", option], Host));
        foreach (var name in new[] { "-machine", "-m ", "-smp", "-cpu", "-kernel", "-initrd", "-append", "-drive", "-device", "-serial", "-qmp", "-incoming", "-pidfile", "-daemonize" })
            Assert.Contains(name, help.Text);
    }

    [Fact]
    public void Help_wins_over_version() =>
        Assert.IsType<CommandLineOutcome.HelpRequested>(VmCommandLine.Interpret(["-version", "-help"], Host));

    [Fact]
    public void Unknown_options_fail_even_with_help() =>
        Assert.Throws<CommandLineException>(() => VmCommandLine.Interpret(["-help", "-foo"], Host));

    [Fact]
    public void A_vm_line_is_a_run_outcome()
    {
        var run = Assert.IsType<CommandLineOutcome.Run>(VmCommandLine.Interpret(["-kernel", Kernel], Host));
        Assert.Equal(Kernel, run.Config.Boot.KernelPath);
    }

    [Fact]
    public void Parse_throws_version_request() =>
        Assert.Throws<VersionRequestedException>(() => VmCommandLine.Parse(["--version"], Host));

    [Fact]
    public void Parse_throws_help_request_with_the_usage() =>
        Assert.Contains("-qmp", Assert.Throws<HelpRequestedException>(() => VmCommandLine.Parse(["-h"], Host)).Usage);

    [Fact]
    public void Double_dash_is_only_for_version_and_help() => FailsExactly(["--machine", "q35"], "unknown option '--machine'");
}

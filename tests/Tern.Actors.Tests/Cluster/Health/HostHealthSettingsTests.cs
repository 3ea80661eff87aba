using Akka.Configuration;
using Tern.Actors.Cluster.Host.Health;
using Tern.Actors.Tests.Support;

namespace Tern.Actors.Tests.Cluster.Health;

public sealed class HostHealthSettingsTests
{
    private static HostHealthSettings Parse(string hostSection) => HostHealthSettings.From(ConfigurationFactory.ParseString(hostSection));

    [Fact]
    public void The_shipped_node_conf_gives_the_documented_defaults()
    {
        var shipped = ConfigurationFactory.ParseString(File.ReadAllText(Path.Combine(TestGuest.RepoRoot, "hocon", "node.conf")));
        var settings = HostHealthSettings.From(shipped.GetConfig("tern.host"));
        Assert.Equal(HostHealthSettings.Default, settings);
        Assert.Equal(
            (TimeSpan.FromSeconds(5), TimeSpan.FromMinutes(5), TimeSpan.FromSeconds(10), (string?)null, "/sys", "/proc"),
            (settings.Interval, settings.RecoverAfter, settings.CommandTimeout, settings.Command, settings.SysfsRoot, settings.ProcfsRoot));
        Assert.Equal(new MemoryErrorLimits(10, 1, TimeSpan.FromHours(1)), settings.MemoryErrors);
        Assert.Equal(new CountLimit(5, TimeSpan.FromMinutes(10)), settings.IoErrors);
        Assert.Equal(new PressureLimits(40, 40, TimeSpan.FromSeconds(60)), settings.Pressure);
        Assert.Equal(new CountLimit(3, TimeSpan.FromMinutes(10)), settings.VcpuFailures);
    }

    [Fact]
    public void A_section_without_health_keys_gets_the_defaults()
    {
        Assert.Equal(HostHealthSettings.Default, Parse("report-interval = 1s"));
        Assert.Equal(HostHealthSettings.Default, HostHealthSettings.From(Config.Empty));
    }

    [Fact]
    public void Keys_given_override_their_defaults_alone()
    {
        var settings = Parse("""
            health {
              interval = 2s
              command = "  /usr/local/bin/check-host --quick  "
              sysfs-root = "/tmp/sys/"
              memory-errors.corrected = 0
              pressure { io = 12.5, sustain-for = 0s }
              vcpu-failures.window = 1h
            }
            """);
        Assert.Equal(HostHealthSettings.Default with
        {
            Interval = TimeSpan.FromSeconds(2),
            Command = "/usr/local/bin/check-host --quick",
            SysfsRoot = "/tmp/sys",
            MemoryErrors = HostHealthSettings.Default.MemoryErrors with { Corrected = 0 },
            Pressure = HostHealthSettings.Default.Pressure with { Io = 12.5, SustainFor = TimeSpan.Zero },
            VcpuFailures = HostHealthSettings.Default.VcpuFailures with { Window = TimeSpan.FromHours(1) },
        }, settings);
    }

    [Theory]
    [InlineData("interval = soon", "tern.host.health.interval must be a positive duration such as 5s, not 'soon'")]
    [InlineData("interval = 0s", "tern.host.health.interval must be a positive duration such as 5s, not '0s'")]
    [InlineData("recover-after = -1m", "tern.host.health.recover-after must be a duration such as 5s (0 or more), not '-1m'")]
    [InlineData("memory-errors.window = 0s", "tern.host.health.memory-errors.window must be a positive duration such as 5s, not '0s'")]
    [InlineData("memory-errors.corrected = ten", "tern.host.health.memory-errors.corrected must be a whole number, 0 or more (0: off), not 'ten'")]
    [InlineData("io-errors.threshold = -1", "tern.host.health.io-errors.threshold must be a whole number, 0 or more (0: off), not '-1'")]
    [InlineData("pressure.memory = 150", "tern.host.health.pressure.memory must be a percentage in 0..100 (0: off), not '150'")]
    [InlineData("pressure.io = NaN", "tern.host.health.pressure.io must be a percentage in 0..100 (0: off), not 'NaN'")]
    [InlineData("procfs-root = proc", "tern.host.health.procfs-root must be an absolute path, not 'proc'")]
    public void A_bad_value_is_refused_naming_its_key(string hocon, string message)
    {
        var e = Assert.Throws<ConfigurationException>(() => Parse($"health {{ {hocon} }}"));
        Assert.Equal(message, e.Message);
    }
}

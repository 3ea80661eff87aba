using Akka.Configuration;

namespace Tern.Actors.Cluster.Host.Health;

/// <summary>
/// How a host watches its own health, read from <c>tern.host.health</c> (hocon/node.conf says what
/// each key means). A threshold of 0 turns its signal off.
/// </summary>
public sealed record HostHealthSettings(
    TimeSpan Interval,
    TimeSpan RecoverAfter,
    TimeSpan CommandTimeout,
    string? Command,
    string SysfsRoot,
    string ProcfsRoot,
    MemoryErrorLimits MemoryErrors,
    CountLimit IoErrors,
    PressureLimits Pressure,
    CountLimit VcpuFailures)
{
    public const string Section = "tern.host.health";

    /// <summary>The values hocon/node.conf gives, for keys a configuration leaves out.</summary>
    public static HostHealthSettings Default { get; } = new(
        TimeSpan.FromSeconds(5),
        TimeSpan.FromMinutes(5),
        TimeSpan.FromSeconds(10),
        null,
        "/sys",
        "/proc",
        new MemoryErrorLimits(10, 1, TimeSpan.FromHours(1)),
        new CountLimit(5, TimeSpan.FromMinutes(10)),
        new PressureLimits(40.0, 40.0, TimeSpan.FromSeconds(60)),
        new CountLimit(3, TimeSpan.FromMinutes(10)));

    /// <summary>Reads the <c>health</c> block of <paramref name="hostSection"/> (<c>config.GetConfig("tern.host")</c>); throws <see cref="ConfigurationException"/> naming the key of a bad value.</summary>
    public static HostHealthSettings From(Config hostSection)
    {
        var keys = new HealthSettingsReader(hostSection);
        var d = Default;
        return new HostHealthSettings(
            keys.Duration("interval", d.Interval, zeroAllowed: false),
            keys.Duration("recover-after", d.RecoverAfter, zeroAllowed: true),
            keys.Duration("command-timeout", d.CommandTimeout, zeroAllowed: false),
            keys.Text("command", "") is { Length: > 0 } command ? command : null,
            keys.AbsolutePath("sysfs-root", d.SysfsRoot),
            keys.AbsolutePath("procfs-root", d.ProcfsRoot),
            new MemoryErrorLimits(
                keys.Count("memory-errors.corrected", d.MemoryErrors.Corrected),
                keys.Count("memory-errors.uncorrected", d.MemoryErrors.Uncorrected),
                keys.Duration("memory-errors.window", d.MemoryErrors.Window, zeroAllowed: false)),
            new CountLimit(
                keys.Count("io-errors.threshold", d.IoErrors.Threshold),
                keys.Duration("io-errors.window", d.IoErrors.Window, zeroAllowed: false)),
            new PressureLimits(
                keys.Percent("pressure.memory", d.Pressure.Memory),
                keys.Percent("pressure.io", d.Pressure.Io),
                keys.Duration("pressure.sustain-for", d.Pressure.SustainFor, zeroAllowed: true)),
            new CountLimit(
                keys.Count("vcpu-failures.threshold", d.VcpuFailures.Threshold),
                keys.Duration("vcpu-failures.window", d.VcpuFailures.Window, zeroAllowed: false)));
    }
}

/// <summary>New EDAC memory errors within <paramref name="Window"/> that make a host unhealthy, corrected and uncorrected apart; 0 turns a kind off.</summary>
public sealed record MemoryErrorLimits(int Corrected, int Uncorrected, TimeSpan Window);

/// <summary>So many events (I/O errors, vCPU failures) within <paramref name="Window"/> make a host unhealthy; a threshold of 0 turns the signal off.</summary>
public sealed record CountLimit(int Threshold, TimeSpan Window);

/// <summary>PSI "some avg10" percentages that, held for <paramref name="SustainFor"/>, make a host unhealthy; 0 turns a resource off.</summary>
public sealed record PressureLimits(double Memory, double Io, TimeSpan SustainFor);

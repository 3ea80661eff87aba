using System.Globalization;
using Akka.Configuration;

namespace Tern.Host.VmProcess.Sandbox;

/// <summary>
/// How a node confines its VM processes, read from <c>tern.host</c> (hocon/node.conf says what each
/// key means): a seccomp filter and no new privileges (<see cref="Seccomp"/>), a user of its own
/// (<see cref="Users"/>), and a cgroup under <see cref="CgroupParent"/> with a memory limit of the
/// guest's RAM plus <see cref="MemoryOverheadBytes"/> and, optionally, a CPU quota.
/// </summary>
public sealed record VmSandboxSettings(
    bool Seccomp,
    VmUserRange? Users,
    string CgroupParent,
    ulong? MemoryOverheadBytes,
    double? CpuQuotaPerVcpu)
{
    public static VmSandboxSettings From(Config config)
    {
        var c = config.GetConfig("tern.host") ?? throw new ConfigurationException("the configuration has no tern.host section");
        string parent = c.GetString("vm-cgroup-parent", VmCgroups.AutoParent);
        if (parent != VmCgroups.AutoParent && (!parent.StartsWith('/') || parent.Split('/').Any(p => p is "." or "..")))
            throw new ConfigurationException($"tern.host.vm-cgroup-parent must be 'auto' or an absolute cgroup path such as /tern, not '{parent}'");
        return new VmSandboxSettings(
            c.GetBoolean("vm-sandbox", true),
            IsOff(c, "vm-uid-base") ? null : VmUserRange.From(c.GetString("vm-uid-base"), c.GetString("vm-uid-count", "65536")),
            parent.TrimEnd('/'),
            IsOff(c, "vm-memory-overhead") ? null : (ulong)(c.GetByteSize("vm-memory-overhead") ?? throw new ConfigurationException("tern.host.vm-memory-overhead must be 'off' or a size")),
            IsOff(c, "vm-cpu-quota") ? null : CpuQuota(c.GetString("vm-cpu-quota")));
    }

    private static bool IsOff(Config c, string key) => !c.HasPath(key) || c.GetString(key) is "off" or "false" or "";

    private static double CpuQuota(string text) =>
        double.TryParse(text, NumberStyles.AllowDecimalPoint, CultureInfo.InvariantCulture, out double q) && q >= 0.01 && q <= 64
            ? q
            : throw new ConfigurationException($"tern.host.vm-cpu-quota must be 'off' or CPUs per vCPU in 0.01..64, not '{text}'");
}

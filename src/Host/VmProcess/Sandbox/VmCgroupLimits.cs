using System.Globalization;

namespace Tern.Host.VmProcess.Sandbox;

/// <summary>One cgroup control file and what is written to it.</summary>
public readonly record struct CgroupSetting(string Controller, string File, string Value);

/// <summary>
/// The limits of one VM process's cgroup: memory of the guest's RAM plus the node's overhead
/// allowance (the process's own code, heap, threads, device and migration buffers, and the
/// kernel's page tables for the guest), and CPU time of a quota per vCPU each
/// <see cref="CpuPeriodMicros"/>; null: no limit.
/// </summary>
public sealed record VmCgroupLimits(ulong? MemoryBytes, long? CpuQuotaMicros)
{
    /// <summary>The CFS period the CPU quota is counted over (the kernel's default, 100 ms).</summary>
    public const long CpuPeriodMicros = 100_000;

    /// <param name="memoryOverheadBytes">Null: no memory limit.</param>
    /// <param name="cpuQuotaPerVcpu">CPUs' worth of time per vCPU; null: no CPU quota.</param>
    public static VmCgroupLimits For(ulong guestRamBytes, int vcpus, ulong? memoryOverheadBytes, double? cpuQuotaPerVcpu) => new(
        memoryOverheadBytes is { } overhead ? guestRamBytes + overhead : null,
        cpuQuotaPerVcpu is { } quota ? (long)Math.Ceiling(quota * vcpus * CpuPeriodMicros) : null);

    /// <summary>The control files that set these limits in a cgroup of <paramref name="version"/>, in the order to write them.</summary>
    public IReadOnlyList<CgroupSetting> Settings(CgroupVersion version)
    {
        var settings = new List<CgroupSetting>();
        if (MemoryBytes is { } memory)
            settings.Add(new("memory", version == CgroupVersion.V2 ? "memory.max" : "memory.limit_in_bytes", Inv(memory)));
        if (CpuQuotaMicros is { } quota)
        {
            if (version == CgroupVersion.V2)
                settings.Add(new("cpu", "cpu.max", $"{Inv(quota)} {Inv(CpuPeriodMicros)}"));
            else
            {
                settings.Add(new("cpu", "cpu.cfs_period_us", Inv(CpuPeriodMicros)));
                settings.Add(new("cpu", "cpu.cfs_quota_us", Inv(quota)));
            }
        }
        return settings;
    }

    private static string Inv(ulong v) => v.ToString(CultureInfo.InvariantCulture);

    private static string Inv(long v) => v.ToString(CultureInfo.InvariantCulture);
}

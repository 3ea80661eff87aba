using Tern.Host.VmProcess.Sandbox;

namespace Tern.Host.Tests.VmProcess.Sandbox;

public sealed class VmCgroupLimitsTests
{
    private const ulong Overhead = 256UL << 20;

    [Fact]
    public void The_memory_limit_is_the_guest_s_ram_plus_the_overhead_and_no_cpu_quota_by_default()
    {
        var limits = VmCgroupLimits.For(1UL << 30, 2, Overhead, null);
        Assert.Equal(new VmCgroupLimits((1UL << 30) + (256UL << 20), null), limits);
        Assert.Equal([new CgroupSetting("memory", "memory.max", "1342177280")], limits.Settings(CgroupVersion.V2));
        Assert.Equal([new CgroupSetting("memory", "memory.limit_in_bytes", "1342177280")], limits.Settings(CgroupVersion.V1));
    }

    [Fact]
    public void A_cpu_quota_per_vcpu_gives_the_vm_that_many_cpus_each_100_ms()
    {
        var limits = VmCgroupLimits.For(64UL << 20, 3, Overhead, 0.5);
        Assert.Equal(150_000, limits.CpuQuotaMicros);
        Assert.Contains(new CgroupSetting("cpu", "cpu.max", "150000 100000"), limits.Settings(CgroupVersion.V2));
        // v1 takes the period first, so the quota is read against it.
        Assert.Equal([new CgroupSetting("cpu", "cpu.cfs_period_us", "100000"), new CgroupSetting("cpu", "cpu.cfs_quota_us", "150000")],
            limits.Settings(CgroupVersion.V1).Where(s => s.Controller == "cpu"));
    }

    [Fact]
    public void Without_an_overhead_there_is_no_memory_limit()
    {
        Assert.Empty(VmCgroupLimits.For(1UL << 30, 1, null, null).Settings(CgroupVersion.V1));
    }
}

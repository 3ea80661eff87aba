using Tern.Actors.Cluster.Host;
using Tern.Actors.Vm.Process;

namespace Tern.Actors.Tests.Cluster;

public sealed class VmCpuAccountTests
{
    private static readonly DateTime T0 = new(2026, 12, 7, 0, 0, 0, DateTimeKind.Utc);
    private const ulong Ms = 1_000_000;

    [Fact]
    public void Without_a_cgroup_the_load_is_what_the_vcpu_threads_ran_and_waited()
    {
        var account = new VmCpuAccount();
        account.Sample(new ThreadTime(100 * Ms, 50 * Ms), null, T0);
        Assert.Equal(0, account.CpuLoad); // a first sample has no rate
        account.Sample(new ThreadTime(400 * Ms, 250 * Ms), null, T0.AddSeconds(1));
        Assert.Equal(0.5, account.CpuLoad, 6); // 300 ms run + 200 ms waited in one second
        Assert.Null(account.MemoryUsedBytes);
    }

    [Fact]
    public void With_a_cgroup_the_load_is_the_whole_process_s_cpu_time_plus_what_its_vcpus_waited()
    {
        var account = new VmCpuAccount();
        account.Sample(new ThreadTime(100 * Ms, 50 * Ms), new VmProcessUsage(64 << 20, 300 * Ms), T0);
        // vCPUs ran 200 ms and waited 100 ms; the process (device models, I/O) used 500 ms in 2 s.
        account.Sample(new ThreadTime(300 * Ms, 150 * Ms), new VmProcessUsage(80 << 20, 800 * Ms), T0.AddSeconds(2));
        Assert.Equal(0.3, account.CpuLoad, 6);
        Assert.Equal(80UL << 20, account.MemoryUsedBytes);
    }

    [Fact]
    public void A_change_of_source_or_a_counter_that_went_back_keeps_the_last_rate()
    {
        var account = new VmCpuAccount();
        account.Sample(new ThreadTime(0, 0), null, T0);
        account.Sample(new ThreadTime(250 * Ms, 0), null, T0.AddSeconds(1));
        Assert.Equal(0.25, account.CpuLoad, 6);
        // The cgroup appears (a re-adopted process found): its counter is on another scale.
        account.Sample(new ThreadTime(500 * Ms, 400 * Ms), new VmProcessUsage(1 << 20, 90_000 * Ms), T0.AddSeconds(2));
        Assert.Equal(0.25, account.CpuLoad, 6);
        // A reset replaced the vCPU threads: their wait counts from 0 again, and the sum went back.
        account.Sample(new ThreadTime(0, 0), new VmProcessUsage(1 << 20, 90_100 * Ms), T0.AddSeconds(3));
        Assert.Equal(0.25, account.CpuLoad, 6);
        account.Sample(new ThreadTime(0, 100 * Ms), new VmProcessUsage(1 << 20, 90_600 * Ms), T0.AddSeconds(4));
        Assert.Equal(0.6, account.CpuLoad, 6);
    }
}

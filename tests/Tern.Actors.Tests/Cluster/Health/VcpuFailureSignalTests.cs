using Tern.Actors.Cluster.Host.Health;
using static Tern.Actors.Tests.Cluster.Health.FakeHostFiles;

namespace Tern.Actors.Tests.Cluster.Health;

public sealed class VcpuFailureSignalTests
{
    private static VcpuFailureSignal Signal(int threshold = 3) => new(new CountLimit(threshold, TimeSpan.FromMinutes(10)));

    [Fact]
    public void Failures_within_the_window_up_to_the_threshold_make_it_bad_naming_the_last()
    {
        var signal = Signal();
        signal.Record(T0, "b", "triple fault (shutdown)");
        signal.Record(T0.AddMinutes(1), "c", "triple fault (shutdown)");
        Assert.False(signal.Sample(T0.AddMinutes(1)).Bad);
        signal.Record(T0.AddMinutes(2), "a", "KVM internal error, suberror 1");
        Assert.Equal(HealthReading.BadBecause("3 vCPU failures in 10m (last: vm a: KVM internal error, suberror 1)"), signal.Sample(T0.AddMinutes(2)));
    }

    [Fact]
    public void Failures_older_than_the_window_no_longer_count()
    {
        var signal = Signal();
        for (int m = 0; m < 3; m++) signal.Record(T0.AddMinutes(m), "a", "KVM internal error, suberror 1");
        Assert.True(signal.Sample(T0.AddMinutes(9)).Bad);
        Assert.False(signal.Sample(T0.AddMinutes(10)).Bad);
    }

    [Fact]
    public void A_threshold_of_zero_turns_the_signal_off()
    {
        var signal = Signal(threshold: 0);
        for (int i = 0; i < 10; i++) signal.Record(T0, "a", "triple fault (shutdown)");
        Assert.False(signal.Sample(T0).Bad);
    }
}

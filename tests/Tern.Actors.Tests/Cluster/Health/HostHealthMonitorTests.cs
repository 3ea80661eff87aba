using Tern.Actors.Cluster.Host.Health;
using static Tern.Actors.Tests.Cluster.Health.FakeHostFiles;

namespace Tern.Actors.Tests.Cluster.Health;

public sealed class HostHealthMonitorTests : IDisposable
{
    private static readonly TimeSpan RecoverAfter = TimeSpan.FromMinutes(5);
    private readonly FakeHostFiles _files = new();
    private readonly HostHealthMonitor _monitor;

    public HostHealthMonitorTests()
    {
        _files.Write("proc/pressure/memory", "some avg10=0.00 avg60=0.00 avg300=0.00 total=0\n");
        _files.Write("proc/pressure/io", "some avg10=0.00 avg60=0.00 avg300=0.00 total=0\n");
        _monitor = new HostHealthMonitor(_files.Settings with { RecoverAfter = RecoverAfter }, () => [], _files.Warnings.Add);
    }

    private static readonly HealthReading CommandFailed = HealthReading.BadBecause("disk smart failing");

    [Fact]
    public void A_host_starts_healthy_since_its_first_evaluation()
    {
        Assert.Null(_monitor.Current);
        Assert.Equal(new HostHealthState(true, null, T0), _monitor.Evaluate(T0));
        Assert.Equal(new HostHealthState(true, null, T0), _monitor.Evaluate(T0.AddSeconds(5)));
        Assert.Empty(_files.Warnings);
    }

    [Fact]
    public void One_bad_signal_makes_the_host_unhealthy_at_once()
    {
        _monitor.Evaluate(T0);
        _monitor.RecordCommandResult(T0.AddSeconds(5), CommandFailed);
        Assert.Equal(new HostHealthState(false, "disk smart failing", T0.AddSeconds(5)), _monitor.Evaluate(T0.AddSeconds(5)));
    }

    [Fact]
    public void The_reasons_of_all_bad_signals_are_joined_and_follow_them_while_unhealthy()
    {
        _files.Write("sys/devices/system/edac/mc/mc0/ue_count", "0\n");
        _monitor.Evaluate(T0);
        _monitor.RecordCommandResult(T0, CommandFailed);
        Assert.Equal("disk smart failing", _monitor.Evaluate(T0.AddSeconds(5)).Reason);
        _files.Write("sys/devices/system/edac/mc/mc0/ue_count", "1\n");
        for (int i = 0; i < 3; i++) _monitor.RecordVcpuFailure(T0.AddSeconds(8), "a", "KVM internal error, suberror 1");
        var state = _monitor.Evaluate(T0.AddSeconds(10));
        Assert.Equal(new HostHealthState(false,
            "1 uncorrected memory error in 1h (EDAC); 3 vCPU failures in 10m (last: vm a: KVM internal error, suberror 1); disk smart failing",
            T0.AddSeconds(5)), state);
    }

    [Fact]
    public void The_host_recovers_only_after_recover_after_of_continuous_good_health()
    {
        _monitor.Evaluate(T0);
        _monitor.RecordCommandResult(T0, CommandFailed);
        _monitor.Evaluate(T0);
        var good = T0.AddSeconds(30);
        _monitor.RecordCommandResult(good, HealthReading.Good);
        for (var t = good; t < good + RecoverAfter; t = t.AddSeconds(5))
            Assert.Equal(new HostHealthState(false, "disk smart failing", T0), _monitor.Evaluate(t));
        Assert.Equal(new HostHealthState(true, null, good + RecoverAfter), _monitor.Evaluate(good + RecoverAfter));
    }

    [Fact]
    public void A_flap_while_recovering_starts_the_wait_again()
    {
        _monitor.Evaluate(T0);
        _monitor.RecordCommandResult(T0, CommandFailed);
        _monitor.Evaluate(T0);
        _monitor.RecordCommandResult(T0.AddMinutes(1), HealthReading.Good);
        _monitor.Evaluate(T0.AddMinutes(1));
        _monitor.RecordCommandResult(T0.AddMinutes(5), HealthReading.BadBecause("fan 2 stopped"));
        Assert.Equal(new HostHealthState(false, "fan 2 stopped", T0), _monitor.Evaluate(T0.AddMinutes(5)));
        _monitor.RecordCommandResult(T0.AddMinutes(5).AddSeconds(5), HealthReading.Good);
        _monitor.Evaluate(T0.AddMinutes(5).AddSeconds(5));
        Assert.False(_monitor.Evaluate(T0.AddMinutes(10)).Healthy); // 6 min after the first good result, but 5 min less 5 s after the flap
        Assert.True(_monitor.Evaluate(T0.AddMinutes(10).AddSeconds(5)).Healthy);
    }

    [Fact]
    public void A_late_command_result_does_not_replace_a_newer_one()
    {
        _monitor.RecordCommandResult(T0.AddSeconds(10), HealthReading.Good);
        _monitor.RecordCommandResult(T0.AddSeconds(5), CommandFailed);
        Assert.True(_monitor.Evaluate(T0.AddSeconds(10)).Healthy);
    }

    [Fact]
    public void A_bad_reading_without_a_reason_is_named_by_its_source()
    {
        _monitor.RecordCommandResult(T0, new HealthReading(true, null));
        Assert.Equal("health command failed", _monitor.Evaluate(T0).Reason);
    }

    public void Dispose() => _files.Dispose();
}

using Tern.Actors.Cluster.Host.Health;
using static Tern.Actors.Tests.Cluster.Health.FakeHostFiles;

namespace Tern.Actors.Tests.Cluster.Health;

public sealed class PressureSignalTests : IDisposable
{
    private readonly FakeHostFiles _files = new();

    private PressureSignal Signal(string resource = "memory", int sustainSeconds = 60) =>
        new(resource, _files.Procfs, 40.0, TimeSpan.FromSeconds(sustainSeconds), _files.Warn);

    private void Pressure(string resource, double someAvg10) =>
        _files.Write($"proc/pressure/{resource}", $"some avg10={someAvg10:0.00} avg60=1.00 avg300=0.50 total=123456\nfull avg10=0.00 avg60=0.00 avg300=0.00 total=0\n");

    [Fact]
    public void The_some_avg10_figure_is_read_from_the_some_line()
    {
        Assert.Equal(12.34, PressureSignal.SomeAvg10("some avg10=12.34 avg60=0.50 avg300=0.10 total=12345\nfull avg10=99.00 avg60=0 avg300=0 total=0\n"));
        Assert.Null(PressureSignal.SomeAvg10("full avg10=99.00 avg60=0 avg300=0 total=0\n"));
        Assert.Null(PressureSignal.SomeAvg10("some avg10=lots avg60=0.50\n"));
        Assert.Null(PressureSignal.SomeAvg10(""));
    }

    [Fact]
    public void Pressure_turns_bad_only_once_it_has_been_at_or_above_the_threshold_for_sustain_for()
    {
        var signal = Signal();
        Pressure("memory", 40.0);
        for (int s = 0; s < 60; s += 10) Assert.False(signal.Sample(T0.AddSeconds(s)).Bad);
        Pressure("memory", 75.5);
        Assert.Equal(HealthReading.BadBecause("memory pressure at or above 40% for 60s (PSI some avg10)"), signal.Sample(T0.AddSeconds(60)));
    }

    [Fact]
    public void One_sample_below_the_threshold_starts_the_wait_again()
    {
        var signal = Signal();
        Pressure("memory", 90);
        signal.Sample(T0);
        signal.Sample(T0.AddSeconds(50));
        Pressure("memory", 39.99);
        Assert.False(signal.Sample(T0.AddSeconds(55)).Bad);
        Pressure("memory", 90);
        Assert.False(signal.Sample(T0.AddSeconds(60)).Bad);
        Assert.False(signal.Sample(T0.AddSeconds(115)).Bad);
        Assert.True(signal.Sample(T0.AddSeconds(120)).Bad);
    }

    [Fact]
    public void With_no_sustain_one_sample_is_enough_and_io_is_watched_apart_from_memory()
    {
        var io = Signal("io", sustainSeconds: 0);
        Pressure("io", 41);
        Pressure("memory", 0);
        Assert.Equal("io pressure at or above 40% for 0s (PSI some avg10)", io.Sample(T0).Reason);
    }

    [Fact]
    public void A_kernel_without_psi_is_healthy_and_said_once()
    {
        var signal = Signal();
        for (int s = 0; s < 30; s += 5) Assert.False(signal.Sample(T0.AddSeconds(s)).Bad);
        Assert.Contains("pressure/memory does not exist (a kernel without PSI?)", Assert.Single(_files.Warnings));
    }

    [Fact]
    public void Garbage_breaks_the_run_and_is_said_once()
    {
        var signal = Signal(sustainSeconds: 10);
        Pressure("memory", 90);
        signal.Sample(T0);
        _files.Write("proc/pressure/memory", "some avg10=NaN\n");
        Assert.False(signal.Sample(T0.AddSeconds(5)).Bad);
        Assert.False(signal.Sample(T0.AddSeconds(10)).Bad);
        Pressure("memory", 90);
        Assert.False(signal.Sample(T0.AddSeconds(15)).Bad);
        Assert.True(signal.Sample(T0.AddSeconds(25)).Bad);
        Assert.Contains("has no 'some avg10=' figure", Assert.Single(_files.Warnings));
    }

    public void Dispose() => _files.Dispose();
}

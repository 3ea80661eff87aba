using Tern.Actors.Cluster.Host.Health;
using static Tern.Actors.Tests.Cluster.Health.FakeHostFiles;

namespace Tern.Actors.Tests.Cluster.Health;

public sealed class MemoryErrorSignalTests : IDisposable
{
    private const string Mc0 = "sys/devices/system/edac/mc/mc0";
    private const string Mc1 = "sys/devices/system/edac/mc/mc1";
    private readonly FakeHostFiles _files = new();

    private MemoryErrorSignal Signal(int corrected = 10, int uncorrected = 1) =>
        new(_files.Sysfs, new MemoryErrorLimits(corrected, uncorrected, TimeSpan.FromHours(1)), _files.Warn);

    private void Counts(string mc, ulong corrected, ulong uncorrected)
    {
        _files.Write($"{mc}/ce_count", $"{corrected}\n");
        _files.Write($"{mc}/ue_count", $"{uncorrected}\n");
    }

    [Fact]
    public void Errors_counted_before_the_first_sample_do_not_count_and_new_ones_up_to_the_threshold_do()
    {
        Counts(Mc0, 100, 0);
        var signal = Signal();
        Assert.False(signal.Sample(T0).Bad);
        Counts(Mc0, 109, 0);
        Assert.False(signal.Sample(T0.AddMinutes(1)).Bad);
        Counts(Mc0, 112, 0);
        Assert.Equal(HealthReading.BadBecause("12 corrected memory errors in 1h (EDAC)"), signal.Sample(T0.AddMinutes(2)));
        Assert.Empty(_files.Warnings);
    }

    [Fact]
    public void Errors_seen_before_the_window_opened_no_longer_count()
    {
        Counts(Mc0, 0, 0);
        var signal = Signal();
        signal.Sample(T0);
        Counts(Mc0, 10, 0);
        Assert.True(signal.Sample(T0.AddMinutes(10)).Bad);
        Assert.True(signal.Sample(T0.AddMinutes(65)).Bad); // the window opens at 5 min, before they were seen
        Assert.False(signal.Sample(T0.AddMinutes(71)).Bad);
    }

    [Fact]
    public void Controllers_add_up_and_one_uncorrected_error_is_enough()
    {
        Counts(Mc0, 0, 0);
        Counts(Mc1, 0, 0);
        var signal = Signal();
        signal.Sample(T0);
        Counts(Mc0, 6, 0);
        Counts(Mc1, 4, 1);
        Assert.Equal("10 corrected memory errors in 1h (EDAC); 1 uncorrected memory error in 1h (EDAC)", signal.Sample(T0.AddSeconds(5)).Reason);
    }

    [Fact]
    public void A_controller_that_appears_later_brings_its_past_errors_as_its_baseline()
    {
        Counts(Mc0, 0, 0);
        var signal = Signal();
        signal.Sample(T0);
        Counts(Mc1, 50, 3);
        Assert.False(signal.Sample(T0.AddSeconds(5)).Bad);
        Counts(Mc1, 60, 3);
        Assert.True(signal.Sample(T0.AddSeconds(10)).Bad);
    }

    [Fact]
    public void A_threshold_of_zero_turns_that_kind_off()
    {
        Counts(Mc0, 0, 0);
        var signal = Signal(corrected: 0);
        signal.Sample(T0);
        Counts(Mc0, 1000, 0);
        Assert.False(signal.Sample(T0.AddSeconds(5)).Bad);
    }

    [Fact]
    public void A_host_without_edac_or_without_the_sysfs_root_is_healthy_and_says_nothing()
    {
        var signal = Signal();
        Assert.False(signal.Sample(T0).Bad); // no sys/ at all
        _files.Write("sys/devices/system/cpu/online", "0-1\n");
        Assert.False(signal.Sample(T0.AddSeconds(5)).Bad); // sysfs without edac
        Assert.Empty(_files.Warnings);
    }

    [Fact]
    public void A_counter_that_holds_garbage_is_ignored_with_one_warning()
    {
        Counts(Mc0, 0, 0);
        Counts(Mc1, 0, 0);
        var signal = Signal();
        signal.Sample(T0);
        _files.Write($"{Mc0}/ce_count", "many\n");
        Counts(Mc1, 10, 0);
        for (int i = 1; i <= 3; i++) Assert.True(signal.Sample(T0.AddSeconds(5 * i)).Bad); // mc1's errors still count
        var warning = Assert.Single(_files.Warnings);
        Assert.Contains("mc0/ce_count holds 'many', not a counter", warning);
    }

    [Fact]
    public void A_counter_that_disappears_is_ignored_with_one_warning()
    {
        Counts(Mc0, 0, 0);
        var signal = Signal();
        signal.Sample(T0);
        _files.Delete($"{Mc0}/ce_count");
        for (int i = 1; i <= 3; i++) Assert.False(signal.Sample(T0.AddSeconds(5 * i)).Bad);
        Assert.Contains("mc0/ce_count has disappeared", Assert.Single(_files.Warnings));
    }

    [Fact]
    public void A_controller_that_disappears_whole_is_noticed_too()
    {
        Counts(Mc0, 0, 0);
        var signal = Signal();
        signal.Sample(T0);
        Directory.Delete(Path.Combine(_files.Root, Mc0), recursive: true);
        Assert.False(signal.Sample(T0.AddSeconds(5)).Bad);
        Assert.Equal(2, _files.Warnings.Count(w => w.Contains("has disappeared")));
    }

    public void Dispose() => _files.Dispose();
}

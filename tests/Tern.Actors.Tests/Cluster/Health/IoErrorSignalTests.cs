using Tern.Actors.Cluster.Host.Health;
using Tern.Kvm;
using static Tern.Actors.Tests.Cluster.Health.FakeHostFiles;

namespace Tern.Actors.Tests.Cluster.Health;

/// <summary>
/// The disk images are real files in the temporary directory; the fake sysfs is laid out for the
/// device they really lie on (their st_dev), linked the way the kernel links it.
/// </summary>
public sealed class IoErrorSignalTests : IDisposable
{
    private const string Sda = "sys/devices/pci0000:00/host0/block/sda";
    private readonly FakeHostFiles _files = new();
    private readonly List<string> _disks = [];

    public IoErrorSignalTests() => _disks.Add(_files.Write("images/a.img", "disk"));

    /// <summary>MAJ:MIN of the file system the images are on.</summary>
    private string ImagesDevice
    {
        get
        {
            ulong device = HostPath.Stat(_disks[0]).Device;
            return $"{device >> 32}:{(uint)device}";
        }
    }

    private IoErrorSignal Signal(int threshold = 5) =>
        new(_files.Sysfs, new CountLimit(threshold, TimeSpan.FromMinutes(10)), () => _disks, _files.Warn);

    private void Errors(ulong count) => _files.Write($"{Sda}/device/ioerr_cnt", $"0x{count:x}\n");

    [Fact]
    public void Errors_on_the_images_disk_count_from_the_first_sample_up_to_the_threshold()
    {
        _files.Link($"sys/dev/block/{ImagesDevice}", Sda);
        Errors(0x20);
        var signal = Signal();
        Assert.False(signal.Sample(T0).Bad);
        Errors(0x24);
        Assert.False(signal.Sample(T0.AddSeconds(5)).Bad);
        Errors(0x25);
        Assert.Equal(HealthReading.BadBecause("5 I/O errors in 10m (sda)"), signal.Sample(T0.AddSeconds(10)));
        Assert.Empty(_files.Warnings);
    }

    [Fact]
    public void Errors_seen_before_the_window_opened_no_longer_count()
    {
        _files.Link($"sys/dev/block/{ImagesDevice}", Sda);
        Errors(0);
        var signal = Signal();
        signal.Sample(T0);
        Errors(7);
        Assert.True(signal.Sample(T0.AddMinutes(1)).Bad);
        Assert.True(signal.Sample(T0.AddMinutes(10)).Bad);
        Assert.False(signal.Sample(T0.AddMinutes(11).AddSeconds(1)).Bad);
    }

    [Fact]
    public void A_partition_counts_on_its_disk_and_images_sharing_it_count_once()
    {
        _files.Write($"{Sda}/sda2/partition", "2\n");
        _files.Link($"sys/dev/block/{ImagesDevice}", $"{Sda}/sda2");
        _disks.Add(_files.Write("images/b.img", "disk"));
        Errors(0);
        var signal = Signal();
        signal.Sample(T0);
        Errors(5);
        Assert.Equal("5 I/O errors in 10m (sda)", signal.Sample(T0.AddSeconds(5)).Reason);
    }

    [Fact]
    public void A_logical_volume_counts_the_errors_of_the_disks_beneath_it()
    {
        const string Dm = "sys/devices/virtual/block/dm-0";
        const string Sdb = "sys/devices/pci0000:00/host1/block/sdb";
        _files.Write($"{Sda}/sda2/partition", "2\n");
        _files.Link($"{Dm}/slaves/sda2", $"{Sda}/sda2");
        _files.Link($"{Dm}/slaves/sdb", Sdb);
        _files.Link($"sys/dev/block/{ImagesDevice}", Dm);
        Errors(0);
        _files.Write($"{Sdb}/device/ioerr_cnt", "0x0\n");
        var signal = Signal();
        signal.Sample(T0);
        Errors(2);
        _files.Write($"{Sdb}/device/ioerr_cnt", "0x3\n");
        Assert.Equal("5 I/O errors in 10m (sda, sdb)", signal.Sample(T0.AddSeconds(5)).Reason);
    }

    [Fact]
    public void No_disks_no_counter_or_an_image_gone_is_healthy_and_says_nothing()
    {
        var signal = Signal();
        Assert.False(signal.Sample(T0).Bad); // no sysfs at all
        _files.Write($"sys/dev/block/{ImagesDevice}/device/vendor", "0x1af4\n"); // a disk whose driver keeps no ioerr_cnt (virtio, NVMe)
        Assert.False(signal.Sample(T0.AddSeconds(5)).Bad);
        _disks[0] = Path.Combine(_files.Root, "images/gone.img");
        Assert.False(signal.Sample(T0.AddSeconds(10)).Bad);
        _disks.Clear();
        Assert.False(signal.Sample(T0.AddSeconds(15)).Bad);
        Assert.Empty(_files.Warnings);
    }

    [Fact]
    public void A_counter_that_holds_garbage_or_disappears_is_ignored_with_one_warning_each()
    {
        _files.Link($"sys/dev/block/{ImagesDevice}", Sda);
        Errors(0);
        var signal = Signal();
        signal.Sample(T0);
        _files.Write($"{Sda}/device/ioerr_cnt", "0xZZ\n");
        for (int i = 1; i <= 3; i++) Assert.False(signal.Sample(T0.AddSeconds(5 * i)).Bad);
        Assert.Contains("ioerr_cnt holds '0xZZ', not a counter", Assert.Single(_files.Warnings));
        Errors(9);
        Assert.True(signal.Sample(T0.AddSeconds(20)).Bad); // counted against the last good sample
        _files.Delete($"{Sda}/device/ioerr_cnt");
        for (int i = 5; i <= 7; i++) Assert.True(signal.Sample(T0.AddSeconds(5 * i)).Bad); // what was seen stands for its window
        Assert.Equal(2, _files.Warnings.Count);
        Assert.Contains("ioerr_cnt has disappeared", _files.Warnings[1]);
    }

    [Fact]
    public void A_threshold_of_zero_is_not_built_by_the_monitor()
    {
        _files.Link($"sys/dev/block/{ImagesDevice}", Sda);
        Errors(0);
        var monitor = new HostHealthMonitor(_files.Settings with { IoErrors = new CountLimit(0, TimeSpan.FromMinutes(10)) }, () => _disks, _files.Warnings.Add);
        monitor.Evaluate(T0);
        Errors(100);
        Assert.True(monitor.Evaluate(T0.AddSeconds(5)).Healthy);
    }

    public void Dispose() => _files.Dispose();
}

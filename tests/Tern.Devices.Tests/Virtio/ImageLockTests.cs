using Tern.Devices.Virtio.Block;
using Tern.Kvm;

namespace Tern.Devices.Tests.Virtio;

/// <summary>QEMU's lock-byte protocol on disk images: who may share an image with whom, and the bytes QEMU looks at.</summary>
public sealed class ImageLockTests : IDisposable
{
    private readonly TempDisk _disk = new(4096);

    public void Dispose() => _disk.Dispose();

    private DiskImage Image(bool readOnly) => DiskImage.Open(_disk.Path, readOnly, direct: false);

    [Fact]
    public void A_second_writer_is_refused_naming_the_permission_the_image_and_the_holder()
    {
        using var first = Image(readOnly: false);
        using var second = Image(readOnly: false);
        first.Lock();

        var e = Assert.Throws<ImageLockedException>(second.Lock);

        Assert.Equal($"failed to get \"write\" lock on {_disk.Path}: held by {File.ReadAllText("/proc/self/comm").Trim()} (pid {Environment.ProcessId})", e.Message);
        Assert.False(second.Locked);
    }

    [Fact]
    public void Readers_share_the_image()
    {
        using var first = Image(readOnly: true);
        using var second = Image(readOnly: true);
        first.Lock();
        second.Lock();
        Assert.True(first.Locked && second.Locked);
    }

    [Fact]
    public void A_reader_keeps_a_writer_out_and_a_writer_keeps_a_reader_out()
    {
        using (var reader = Image(readOnly: true))
        {
            using var writer = Image(readOnly: false);
            reader.Lock();
            Assert.StartsWith("failed to get \"write\" lock", Assert.Throws<ImageLockedException>(writer.Lock).Message);
        }
        using (var writer = Image(readOnly: false))
        {
            using var reader = Image(readOnly: true);
            writer.Lock();
            Assert.StartsWith("failed to get shared \"write\" lock", Assert.Throws<ImageLockedException>(reader.Lock).Message);
        }
    }

    [Fact]
    public void Unlocking_lets_the_next_writer_in_and_a_refused_writer_holds_no_byte()
    {
        using var first = Image(readOnly: false);
        using var second = Image(readOnly: false);
        using var probe = HostFile.Open(_disk.Path, writable: false, direct: false);
        first.Lock();
        Assert.Throws<ImageLockedException>(second.Lock);
        first.Unlock();

        Assert.DoesNotContain(Enumerable.Range(100, 104), b => probe.IsLockedElsewhere(b));
        second.Lock();
        Assert.True(second.Locked);
    }

    /// <summary>The bytes QEMU 7.2 holds for a virtio-blk drive (seen in /proc/locks): read-write 100, 101 and 201; read-only 100 and 201.</summary>
    [Theory]
    [InlineData(false, new long[] { 100, 101, 201 })]
    [InlineData(true, new long[] { 100, 201 })]
    public void The_bytes_held_are_the_ones_qemu_holds_for_the_same_drive(bool readOnly, long[] expected)
    {
        using var image = Image(readOnly);
        using var probe = HostFile.Open(_disk.Path, writable: false, direct: false);
        image.Lock();

        var held = Enumerable.Range(100, 4).Concat(Enumerable.Range(200, 4)).Where(b => probe.IsLockedElsewhere(b)).Select(b => (long)b);
        Assert.Equal(expected, held);
    }
}

using Tern.Devices.Virtio.Block;

namespace Tern.Devices.Tests.Virtio;

/// <summary>Issue 18's disk side of output commit: a replicated guest's writes reach the shared image only once committed.</summary>
public sealed class DiskWriteHoldTests
{
    private readonly byte[] _image = new byte[8 * 512];

    private DiskWriteHold Hold() => new((data, offset) => data.CopyTo(_image.AsSpan((int)offset)));

    private static byte[] Sectors(byte value, int count = 1) => Enumerable.Repeat(value, count * 512).ToArray();

    [Fact]
    public void Writes_reach_the_image_by_epoch_once_committed_and_the_guest_reads_its_own_meanwhile()
    {
        var hold = Hold();
        Assert.True(hold.TryWrite(Sectors(1), 0)); // not replicated: straight through
        Assert.Equal(1, _image[0]);

        hold.Begin(1);
        hold.TryWrite(Sectors(2, 2), 512);
        hold.Begin(2);
        hold.TryWrite(Sectors(3), 1024); // overwrites the second sector of epoch 1's write
        Assert.Equal(0, _image[512]);
        var read = new byte[3 * 512];
        hold.Overlay(read, 0);
        Assert.Equal((0, 2, 3), (read[0], read[512], read[1024])); // sector 0 came from the image (zero here)

        Assert.Equal([(512L, 1024)], hold.WritesOf(1).Select(w => (w.Offset, w.Data.Length)));
        hold.Release(1);
        Assert.Equal((2, 2), (_image[512], _image[1024]));
        var after = new byte[512];
        hold.Overlay(after, 1024);
        Assert.Equal(3, after[0]); // epoch 2's write still held over it
        hold.ReleaseAll();
        Assert.Equal(3, _image[1024]);
        hold.TryWrite(Sectors(4), 2048);
        Assert.Equal(4, _image[2048]);
    }

    [Fact]
    public void A_fenced_guest_s_held_writes_never_reach_the_image()
    {
        var hold = Hold();
        hold.Begin(1);
        hold.TryWrite(Sectors(9), 0);
        hold.Discard();
        hold.Release(1);
        Assert.Equal(0, _image[0]);
        var read = new byte[512];
        hold.Overlay(read, 0);
        Assert.Equal(0, read[0]);
    }
}

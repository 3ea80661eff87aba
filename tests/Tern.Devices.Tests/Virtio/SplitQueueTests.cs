using Tern.Devices.Virtio.Queue;
using Tern.Kvm.Memory;

namespace Tern.Devices.Tests.Virtio;

public sealed class SplitQueueTests : IDisposable
{
    private readonly GuestMemory _memory = new([(0, 16UL << 20)]);

    public void Dispose() => _memory.Dispose();

    [Fact]
    public void Pop_returns_buffers_in_order_and_add_used_publishes_element_then_index()
    {
        var driver = new DriverQueue(_memory, 4);
        var queue = driver.DeviceQueue();
        Assert.Null(queue.Pop());
        ushort head = driver.Add(new(0x1000, 16, false), new(0x2000, 100, true));
        var chain = queue.Pop()!;
        Assert.Equal(head, chain.Head);
        Assert.Equal([new GuestBuffer(0x1000, 16, false), new GuestBuffer(0x2000, 100, true)], chain.Buffers);
        Assert.Equal(16UL, chain.ReadableLength);
        Assert.Equal(100UL, chain.WritableLength);
        queue.AddUsed(chain.Head, 42);
        Assert.Equal(1, driver.UsedIndex);
        Assert.Equal((head, 42u), ((ushort)driver.UsedElement(0).Id, driver.UsedElement(0).Length));
    }

    [Fact]
    public void Indexes_wrap_around_sixteen_bits()
    {
        var driver = new DriverQueue(_memory, 4);
        driver.SetAvailIndex(0xffff);
        var queue = new SplitQueue(_memory, 4, driver.Desc, driver.Avail, driver.Used, false, false, nextAvail: 0xffff, nextUsed: 0xffff);
        driver.Add(new GuestBuffer(0x1000, 16, false));
        var chain = queue.Pop()!;
        queue.AddUsed(chain.Head, 0);
        Assert.Equal(0, driver.UsedIndex);
        Assert.Equal(0, queue.NextAvail);
    }

    [Fact]
    public void Restore_rebuilds_positions_and_validates_every_field()
    {
        var driver = new DriverQueue(_memory, 8);
        var state = new SplitQueueState(1, 8, true, driver.Desc, driver.Avail, driver.Used, 5, 3, true, false);
        var queue = SplitQueue.Restore(state, _memory, 256);
        Assert.Equal(5, queue.NextAvail);
        Assert.Equal(3, queue.NextUsed);
        Assert.True(queue.EventIdx);
        Assert.Equal(state, queue.Save());

        Assert.Throws<VirtqueueException>(() => SplitQueue.Restore(state with { Version = 2 }, _memory, 256));
        Assert.Throws<VirtqueueException>(() => SplitQueue.Restore(state with { Ready = false }, _memory, 256));
        Assert.Throws<VirtqueueException>(() => SplitQueue.Restore(state with { Size = 6 }, _memory, 256));
        Assert.Throws<VirtqueueException>(() => SplitQueue.Restore(state with { Size = 512 }, _memory, 256));
        Assert.Throws<VirtqueueException>(() => SplitQueue.Restore(state with { DescTable = 0x10004 }, _memory, 256));
        Assert.Throws<VirtqueueException>(() => SplitQueue.Restore(state with { UsedRing = 0x1_0000_0000 }, _memory, 256));
        Assert.Throws<VirtqueueException>(() => SplitQueue.Restore(state with { NextAvail = 20, NextUsed = 3 }, _memory, 256));
    }

    [Fact]
    public void Chain_bytes_treat_buffers_as_one_stream()
    {
        var buffers = new[] { new GuestBuffer(0x1000, 10, false), new GuestBuffer(0x2000, 10, false), new GuestBuffer(0x3000, 5, true) };
        var ranges = ChainBytes.Ranges(buffers, writable: false, 6, 8);
        Assert.Equal([new GuestRange(0x1006, 4), new GuestRange(0x2000, 4)], ranges);
        _memory.Write(0x1000, "0123456789"u8);
        _memory.Write(0x2000, "abcdefghij"u8);
        var into = new byte[8];
        Assert.Equal(8, ChainBytes.Gather(_memory, ranges, 0, into));
        Assert.Equal("6789abcd"u8.ToArray(), into);
    }
}

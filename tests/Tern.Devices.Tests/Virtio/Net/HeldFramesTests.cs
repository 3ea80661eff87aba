using Tern.Devices.Virtio.Net;

namespace Tern.Devices.Tests.Virtio.Net;

/// <summary>Issue 18's output commit on a NIC: a frame leaves only once the checkpoint of its epoch is committed.</summary>
public sealed class HeldFramesTests
{
    [Fact]
    public void Frames_of_an_epoch_leave_in_order_when_it_is_committed_and_never_after_a_fence()
    {
        var tap = new FakeNetBackend();
        var nic = new HeldFrames(tap);
        Assert.True(nic.Send([0]));
        Assert.Single(tap.Sent); // not replicated: straight out

        nic.Begin(1);
        nic.Send([1]);
        nic.Send([2]);
        nic.Begin(2);
        nic.Send([3]);
        Assert.Single(tap.Sent);
        nic.Release(1);
        Assert.Equal([[0], [1], [2]], tap.Sent);
        nic.Discard(); // fenced: epoch 2's frame may never be seen
        nic.Release(2);
        Assert.Equal(3, tap.Sent.Count);
        nic.ReleaseAll();
        nic.Send([4]);
        Assert.Equal([4], tap.Sent[^1]);
    }

    [Fact]
    public void Past_its_bound_a_held_frame_is_dropped_as_a_congested_link_would()
    {
        var nic = new HeldFrames(new FakeNetBackend());
        nic.Begin(1);
        var big = new byte[1 << 20];
        for (int i = 0; i < 16; i++) Assert.True(nic.Send(big));
        Assert.False(nic.Send(big));
    }

    [Fact]
    public void Receiving_is_never_held()
    {
        var tap = new FakeNetBackend();
        tap.Incoming.Enqueue([7, 7]);
        var nic = new HeldFrames(tap);
        nic.Begin(1);
        var frame = new byte[16];
        Assert.Equal(2, nic.Receive(frame));
    }
}

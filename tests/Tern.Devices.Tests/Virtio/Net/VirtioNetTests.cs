using Tern.Devices.Config;
using Tern.Devices.Pci;
using Tern.Devices.Virtio;
using Tern.Devices.Virtio.Net;
using Tern.Devices.Virtio.Pci;
using Tern.Devices.Virtio.Queue;
using Tern.Kvm.Memory;

namespace Tern.Devices.Tests.Virtio.Net;

public sealed class VirtioNetTests : IDisposable
{
    private const ulong RxBuffers = 0x100000, TxBuffers = 0x200000;
    private static readonly MacAddress Mac = MacAddress.TryParse("52:54:00:12:34:56", out _)!.Value;

    private readonly GuestMemory _memory = new([(0, 16UL << 20)]);
    private readonly FakeNetBackend _backend = new();
    private readonly RecordingNotifier _notifier = new();
    private readonly DriverQueue _rx;
    private readonly DriverQueue _tx;
    private readonly VirtioNet _net;

    public VirtioNetTests()
    {
        _rx = new DriverQueue(_memory, 8);
        _tx = new DriverQueue(_memory, 8, 0x30000, 0x38000, 0x40000);
        _net = new VirtioNet(_backend, Mac, queueSize: 8);
    }

    public void Dispose() => _memory.Dispose();

    private void Start() =>
        _net.Activate(new VirtioDeviceContext(_memory, VirtioFeatures.Version1 | NetFeatures.Mac, [_rx.DeviceQueue(), _tx.DeviceQueue()], _notifier));

    private static byte[] Frame(int length, byte seed) => Enumerable.Range(0, length).Select(i => (byte)(i * 7 + seed)).ToArray();

    [Fact]
    public void Offers_mac_status_and_version_1_and_shows_the_mac_and_link_in_config_space()
    {
        Assert.Equal(VirtioFeatures.Version1, _net.OfferedFeatures & VirtioFeatures.Version1);
        Assert.Equal(NetFeatures.Mac | NetFeatures.Status, _net.OfferedFeatures & (NetFeatures.Mac | NetFeatures.Status));
        var config = new byte[8];
        _net.ReadConfig(0, config);
        Assert.Equal(new byte[] { 0x52, 0x54, 0x00, 0x12, 0x34, 0x56, (byte)NetStatus.LinkUp, 0 }, config);
        _net.WriteConfig(0, new byte[6]); // the MAC is read-only for a modern driver
        _net.ReadConfig(0, config);
        Assert.Equal(0x52, config[0]);
    }

    [Fact]
    public void A_modern_driver_negotiates_and_a_frame_it_sends_reaches_the_backend()
    {
        using var transport = new VirtioPciDevice("net0", _net, _memory, new RecordingMsiSink());
        var driver = VirtioDriver.Direct(transport);
        Assert.Equal(2, driver.NumQueues);
        Assert.True(driver.Negotiate(VirtioFeatures.Version1 | NetFeatures.Mac | NetFeatures.Status));
        Assert.Equal(0x54UL, driver.Read(VirtioDriver.DeviceConfig + 1, 1));
        driver.SetupQueue(0, _rx);
        driver.SetupQueue(1, _tx);
        driver.DriverOk();
        Assert.True(transport.IsActivated);

        var frame = Frame(60, 1);
        _memory.Write(TxBuffers, new byte[NetHeader.Size]);
        _memory.Write(TxBuffers + NetHeader.Size, frame);
        _tx.Add(new GuestBuffer(TxBuffers, (uint)(NetHeader.Size + frame.Length), false));
        transport.ProcessQueue(VirtioNet.TxQueue);
        Assert.Equal(frame, Assert.Single(_backend.Sent));
    }

    [Fact]
    public void A_received_frame_lands_after_a_header_with_one_buffer_and_the_used_length_counts_both()
    {
        Start();
        _rx.Add(new GuestBuffer(RxBuffers, 2048, true));
        var frame = Frame(1514, 3);
        _backend.Incoming.Enqueue(frame);
        _net.ProcessQueue(VirtioNet.RxQueue);

        Assert.Equal(1, _rx.UsedIndex);
        Assert.Equal((uint)(NetHeader.Size + frame.Length), _rx.UsedElement(0).Length);
        var header = new byte[NetHeader.Size];
        _memory.Read(RxBuffers, header);
        Assert.Equal(new byte[] { 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1, 0 }, header);
        var landed = new byte[frame.Length];
        _memory.Read(RxBuffers + NetHeader.Size, landed);
        Assert.Equal(frame, landed);
        Assert.Contains(VirtioNet.RxQueue, _notifier.Used);
    }

    [Fact]
    public void A_frame_spread_over_several_transmit_descriptors_is_sent_whole()
    {
        Start();
        var frame = Frame(100, 5);
        _memory.Write(TxBuffers, new byte[NetHeader.Size]);
        _memory.Write(TxBuffers + 0x1000, frame.AsSpan(0, 30));
        _memory.Write(TxBuffers + 0x2000, frame.AsSpan(30));
        _tx.Add(new GuestBuffer(TxBuffers, NetHeader.Size, false), new GuestBuffer(TxBuffers + 0x1000, 30, false), new GuestBuffer(TxBuffers + 0x2000, 70, false));
        _net.ProcessQueue(VirtioNet.TxQueue);
        Assert.Equal(frame, Assert.Single(_backend.Sent));
        Assert.Equal(1, _tx.UsedIndex);
    }

    [Fact]
    public void Without_receive_buffers_the_device_stops_wanting_frames_and_leaves_them_in_the_backend()
    {
        Start();
        Assert.True(_net.WantsFrames);
        for (int i = 0; i < 5; i++) _backend.Incoming.Enqueue(Frame(60, (byte)i));
        _rx.Add(new GuestBuffer(RxBuffers, 2048, true));
        _rx.Add(new GuestBuffer(RxBuffers + 0x1000, 2048, true));
        _net.ProcessQueue(VirtioNet.RxQueue);

        Assert.Equal(2, _rx.UsedIndex);
        Assert.Equal(3, _backend.Incoming.Count); // not read: no unbounded buffering in Tern
        Assert.False(_net.WantsFrames);

        _rx.Add(new GuestBuffer(RxBuffers + 0x2000, 2048, true)); // the guest posts a buffer and kicks
        _net.ProcessQueue(VirtioNet.RxQueue);
        Assert.Equal(3, _rx.UsedIndex);
        Assert.Equal(2, _backend.Incoming.Count);
    }

    [Fact]
    public void A_frame_larger_than_the_receive_buffer_is_dropped_and_the_buffer_kept_for_the_next()
    {
        Start();
        _rx.Add(new GuestBuffer(RxBuffers, 100, true));
        _backend.Incoming.Enqueue(Frame(200, 1));
        _backend.Incoming.Enqueue(Frame(60, 2));
        _net.ProcessQueue(VirtioNet.RxQueue);
        Assert.Equal(1, _rx.UsedIndex);
        Assert.Equal((uint)(NetHeader.Size + 60), _rx.UsedElement(0).Length);
        Assert.Equal(1, _net.Counters.RxDropped);
        Assert.Empty(_notifier.Broken);
    }

    [Fact]
    public void Hostile_descriptors_mark_the_device_broken_instead_of_throwing()
    {
        Start();
        _tx.Add(new GuestBuffer(15UL << 30, 64, false)); // far outside guest RAM
        _net.ProcessQueue(VirtioNet.TxQueue);
        Assert.Single(_notifier.Broken);
        Assert.False(_net.WantsFrames);

        _backend.Incoming.Enqueue(Frame(60, 1));
        _net.ProcessQueue(VirtioNet.RxQueue); // a broken device does nothing more
        Assert.Single(_backend.Incoming);
    }

    [Fact]
    public void A_receive_chain_with_a_device_readable_buffer_is_a_protocol_violation()
    {
        Start();
        _rx.Add(new GuestBuffer(RxBuffers, 2048, false));
        _backend.Incoming.Enqueue(Frame(60, 1));
        _net.ProcessQueue(VirtioNet.RxQueue);
        Assert.Contains("receive", Assert.Single(_notifier.Broken));
        Assert.Equal(0, _rx.UsedIndex);
    }

    [Fact]
    public void A_transmit_chain_shorter_than_an_ethernet_header_is_dropped_not_sent()
    {
        Start();
        _tx.Add(new GuestBuffer(TxBuffers, NetHeader.Size + 4, false));
        _net.ProcessQueue(VirtioNet.TxQueue);
        Assert.Empty(_backend.Sent);
        Assert.Equal(1, _tx.UsedIndex);
        Assert.Equal(1, _net.Counters.TxDropped);
    }

    [Fact]
    public void While_paused_no_frame_moves_and_resume_kicks_both_queues()
    {
        Start();
        _net.Pause();
        _rx.Add(new GuestBuffer(RxBuffers, 2048, true));
        _backend.Incoming.Enqueue(Frame(60, 1));
        Assert.False(_net.WantsFrames);
        _net.ProcessQueue(VirtioNet.RxQueue);
        Assert.Equal(0, _rx.UsedIndex);
        _net.Resume();
        Assert.Equal([VirtioNet.RxQueue, VirtioNet.TxQueue], _notifier.Kicks);
    }

    [Fact]
    public void State_carries_the_mac_and_a_different_mac_is_refused()
    {
        var state = _net.Save();
        Assert.Equal("52:54:00:12:34:56", state.Mac);
        _net.CheckRestore(state);
        var error = Assert.Throws<DeviceStateException>(() => _net.CheckRestore(state with { Mac = "52:54:00:00:00:01" }));
        Assert.Contains("52:54:00:00:00:01", error.Message);
        Assert.Throws<DeviceStateException>(() => _net.CheckRestore(state with { Version = 99 }));
    }

    [Fact]
    public void The_announce_frame_is_a_broadcast_rarp_naming_the_mac()
    {
        Assert.True(_net.Announce());
        var f = Assert.Single(_backend.Sent);
        Assert.Equal(60, f.Length);
        Assert.Equal(new byte[] { 0xff, 0xff, 0xff, 0xff, 0xff, 0xff }, f[..6]);
        Assert.Equal(Mac.ToBytes(), f[6..12]);
        Assert.Equal(new byte[] { 0x80, 0x35 }, f[12..14]);
        Assert.Equal(new byte[] { 0, 3 }, f[20..22]);
        Assert.Equal(Mac.ToBytes(), f[22..28]);
        Assert.Equal(Mac.ToBytes(), f[32..38]);
    }

    [Fact]
    public void Announce_rounds_are_spaced_ever_wider()
    {
        var gaps = Enumerable.Range(0, AnnounceSchedule.Rounds).Select(AnnounceSchedule.DelayBefore).ToArray();
        Assert.Equal([50, 150, 250, 350, 450], gaps.Select(g => (int)g.TotalMilliseconds));
    }
}

using System.Buffers.Binary;
using Tern.Devices.Bus;
using Tern.Devices.Config;
using Tern.Devices.Pci;
using Tern.Devices.Virtio;
using Tern.Devices.Virtio.Block;
using Tern.Kvm;
using Tern.Kvm.Memory;

namespace Tern.Devices.Tests.Virtio;

public sealed class IoThreadTests
{
    private static readonly TimeSpan Timeout = TimeSpan.FromSeconds(10);

    [Fact]
    public void Runs_the_handler_of_a_signalled_eventfd_on_its_own_thread_and_stops()
    {
        using var fd = new EventFd(nonBlocking: true);
        using var thread = new IoThread("test-io");
        using var ran = new ManualResetEventSlim();
        int handlerThread = 0;
        thread.Register(fd, () => { handlerThread = Environment.CurrentManagedThreadId; ran.Set(); });
        thread.Start();
        fd.Signal();
        Assert.True(ran.Wait(Timeout));
        Assert.NotEqual(Environment.CurrentManagedThreadId, handlerThread);
        Assert.Equal(0UL, fd.Consume()); // the loop drained the counter
        thread.Stop();
        Assert.False(thread.IsRunning);
    }

    [Fact]
    public void A_failing_handler_is_reported_and_the_loop_goes_on()
    {
        using var bad = new EventFd(nonBlocking: true);
        using var good = new EventFd(nonBlocking: true);
        using var thread = new IoThread();
        using var ranGood = new ManualResetEventSlim();
        Exception? reported = null;
        thread.HandlerFailed += e => reported = e;
        thread.Register(bad, () => throw new InvalidOperationException("boom"));
        thread.Start();
        bad.Signal();
        thread.Register(good, ranGood.Set); // registering while running works too
        good.Signal();
        Assert.True(ranGood.Wait(Timeout));
        Assert.IsType<InvalidOperationException>(reported);
    }

    [Fact]
    public void A_doorbell_write_on_the_mmio_bus_gets_a_request_served_and_an_msi_delivered()
    {
        using var memory = new GuestMemory([(0, 64UL << 20)]);
        using var disk = new TempDisk(64 * 1024);
        var msi = new RecordingMsiSink();
        var config = new VmConfig
        {
            Boot = new BootConfig("/nonexistent/kernel", null, ""),
            MemoryBytes = 64UL << 20,
            Drives = [new DriveConfig("d0", disk.Path, false, false)],
            BlockDevices = [new BlockDeviceConfig("blk0", "d0", "pcie.0", new PciAddress(2, 0), "sn-1")],
        };
        using var platform = PciPlatform.Build(config, memory, msi);
        var io = new DeviceBus("io");
        var mmio = new DeviceBus("mmio");
        platform.Attach(io, mmio, () => { });
        var transport = platform.VirtioDevices[0];
        ulong bar = platform.Root.MappedAddress(transport, 0)!.Value;

        var driver = new VirtioDriver(
            (offset, size) => { var b = new byte[8]; mmio.Read(bar + offset, b.AsSpan(0, size)); return BitConverter.ToUInt64(b); },
            (offset, size, value) => mmio.Write(bar + offset, BitConverter.GetBytes(value).AsSpan(0, size)));

        // MSI-X on through ECAM, vector 1 programmed and unmasked through the BAR.
        int cap = transport.Msix.CapabilityOffset;
        mmio.Write(0xb000_0000UL + (2 << 15) + (ulong)cap + 2, [0x00, 0x80]);
        driver.Write(0x4000 + 16, 8, 0xfee0_0000);
        driver.Write(0x4000 + 24, 4, 0x4051);
        driver.Write(0x4000 + 28, 4, 0);

        var dq = new DriverQueue(memory, 16);
        Assert.True(driver.Negotiate(VirtioFeatures.Version1 | VirtioBlockFeatures.Flush));
        driver.SetupQueue(0, dq, vector: 1);
        driver.DriverOk();
        platform.StartIo();

        memory.WriteObj(0x100000UL, BlockRequest.TypeIn);
        memory.WriteObj(0x100008UL, 4UL);
        dq.Add(new(0x100000, 16, false), new(0x200000, 512, true), new(0x300000, 1, true));
        driver.Kick(0);

        Assert.True(msi.WaitForOne(Timeout));
        Assert.Equal((0xfee0_0000UL, 0x4051u), msi.Sent.Single());
        Assert.Equal(1, dq.UsedIndex);
        Assert.Equal(0, memory.ReadObj<byte>(0x300000));
        var expected = Enumerable.Range(0, 512).Select(i => TempDisk.Pattern(4 * 512 + i)).ToArray();
        Assert.Equal(expected, memory.ReadSpan(0x200000, 512).ToArray());
        platform.StopIo();
    }
}

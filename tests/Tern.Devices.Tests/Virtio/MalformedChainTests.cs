using Tern.Devices.Virtio;
using Tern.Devices.Virtio.Block;
using Tern.Devices.Virtio.Queue;
using Tern.Kvm.Memory;

namespace Tern.Devices.Tests.Virtio;

/// <summary>Every hostile chain marks the device broken through its notifier, and nothing throws.</summary>
public sealed class MalformedChainTests : IDisposable
{
    private const ulong Header = 0x100000, Data = 0x200000, Status = 0x300000, Table = 0x400000;
    private const ulong RamEnd = 16UL << 20;
    private const ushort Next = Descriptor.FlagNext, Write = Descriptor.FlagWrite, Indirect = Descriptor.FlagIndirect;

    private readonly GuestMemory _memory = new([(0, RamEnd)]);
    private readonly TempDisk _disk = new(8192);
    private readonly RecordingNotifier _notifier = new();
    private readonly DriverQueue _queue;
    private readonly VirtioBlock _block;

    public MalformedChainTests()
    {
        _queue = new DriverQueue(_memory, 8);
        _block = new VirtioBlock(DiskImage.Open(_disk.Path, false, false), queueSize: 8);
    }

    public void Dispose()
    {
        _block.Dispose();
        _disk.Dispose();
        _memory.Dispose();
    }

    public static TheoryData<string> Cases() =>
    [
        "head out of range", "next out of range", "loop", "self loop", "buffer outside RAM", "buffer across end of RAM",
        "zero length", "indirect length not a multiple of 16", "indirect zero length", "nested indirect",
        "indirect not negotiated", "indirect with next", "indirect table outside RAM", "indirect next out of range",
        "indirect loop", "readable after writable", "avail index too far ahead", "short header", "no status byte",
        "status only readable",
    ];

    [Theory]
    [MemberData(nameof(Cases))]
    public void A_hostile_chain_marks_the_device_broken_without_throwing(string name)
    {
        bool indirect = name != "indirect not negotiated";
        ulong features = VirtioFeatures.Version1 | (indirect ? VirtioFeatures.IndirectDesc : 0);
        _block.Activate(new VirtioDeviceContext(_memory, features, [_queue.DeviceQueue(indirect: indirect)], _notifier));
        _memory.WriteObj(Header, BlockRequest.TypeIn);

        Build(name);
        _block.ProcessQueue(0);

        Assert.Single(_notifier.Broken);
        Assert.Empty(_notifier.Used);
        Assert.Equal(0, _queue.UsedIndex);

        // Broken stays broken: later kicks do nothing until a reset.
        _queue.Add(new(Header, 16, false), new(Status, 1, true));
        _block.ProcessQueue(0);
        Assert.Single(_notifier.Broken);
        Assert.Equal(0, _queue.UsedIndex);
    }

    private void Build(string name)
    {
        var q = _queue;
        switch (name)
        {
            case "head out of range": q.Publish(8); break;
            case "next out of range": q.WriteDescriptor(0, Header, 16, Next, 9); q.Publish(0); break;
            case "loop":
                q.WriteDescriptor(0, Header, 16, Next, 1);
                q.WriteDescriptor(1, Data, 512, Next, 0);
                q.Publish(0);
                break;
            case "self loop": q.WriteDescriptor(0, Header, 16, Next, 0); q.Publish(0); break;
            case "buffer outside RAM": q.Add(new(Header, 16, false), new(0x7000_0000, 512, true), new(Status, 1, true)); break;
            case "buffer across end of RAM": q.Add(new(Header, 16, false), new(RamEnd - 256, 512, true), new(Status, 1, true)); break;
            case "zero length": q.Add(new(Header, 16, false), new(Data, 0, true), new(Status, 1, true)); break;
            case "indirect length not a multiple of 16": q.WriteDescriptor(0, Table, 40, Indirect, 0); q.Publish(0); break;
            case "indirect zero length": q.WriteDescriptor(0, Table, 0, Indirect, 0); q.Publish(0); break;
            case "nested indirect":
                q.WriteDescriptor(Table, 0, Table + 0x100, 16, Indirect, 0);
                q.WriteDescriptor(0, Table, 16, Indirect, 0);
                q.Publish(0);
                break;
            case "indirect not negotiated": q.AddIndirect(Table, new(Header, 16, false), new(Status, 1, true)); break;
            case "indirect with next":
                q.WriteDescriptor(Table, 0, Header, 16, 0, 0);
                q.WriteDescriptor(0, Table, 16, Indirect | Next, 1);
                q.WriteDescriptor(1, Status, 1, Write, 0);
                q.Publish(0);
                break;
            case "indirect table outside RAM": q.WriteDescriptor(0, RamEnd - 16, 32, Indirect, 0); q.Publish(0); break;
            case "indirect next out of range":
                q.WriteDescriptor(Table, 0, Header, 16, Next, 2);
                q.WriteDescriptor(Table, 1, Status, 1, Write, 0);
                q.WriteDescriptor(0, Table, 32, Indirect, 0);
                q.Publish(0);
                break;
            case "indirect loop":
                q.WriteDescriptor(Table, 0, Header, 16, Next, 1);
                q.WriteDescriptor(Table, 1, Data, 16, Next, 0);
                q.WriteDescriptor(0, Table, 32, Indirect, 0);
                q.Publish(0);
                break;
            case "readable after writable": q.Add(new(Header, 16, false), new(Status, 1, true), new(Data, 512, false)); break;
            case "avail index too far ahead": q.SetAvailIndex(9); break;
            case "short header": q.Add(new(Header, 8, false), new(Status, 1, true)); break;
            case "no status byte": q.Add(new(Header, 16, false), new(Data, 512, false)); break;
            case "status only readable": q.Add(new GuestBuffer(Header, 17, false)); break;
            default: throw new ArgumentException(name);
        }
    }
}

using Tern.Devices.Virtio.Queue;
using Tern.Kvm.Memory;

namespace Tern.Devices.Tests.Virtio;

/// <summary>
/// The driver's side of a split virtqueue, written straight into guest memory the way a guest
/// driver would: descriptors, the available ring and its index, reading back the used ring.
/// </summary>
internal sealed class DriverQueue(GuestMemory memory, ushort size, ulong desc = DriverQueue.DefaultDesc, ulong avail = DriverQueue.DefaultAvail, ulong used = DriverQueue.DefaultUsed)
{
    public const ulong DefaultDesc = 0x10000, DefaultAvail = 0x18000, DefaultUsed = 0x20000;

    private ushort _nextDescriptor;
    private ushort _availIdx;

    public ushort Size => size;
    public ulong Desc => desc;
    public ulong Avail => avail;
    public ulong Used => used;

    public SplitQueue DeviceQueue(bool eventIdx = false, bool indirect = true) => new(memory, size, desc, avail, used, eventIdx, indirect);

    public void WriteDescriptor(ulong table, int index, ulong address, uint length, ushort flags, ushort next)
    {
        ulong at = table + 16UL * (ulong)index;
        memory.WriteObj(at, address);
        memory.WriteObj(at + 8, length);
        memory.WriteObj(at + 12, flags);
        memory.WriteObj(at + 14, next);
    }

    public void WriteDescriptor(int index, ulong address, uint length, ushort flags, ushort next) =>
        WriteDescriptor(desc, index, address, length, flags, next);

    /// <summary>Chains the buffers in fresh descriptors and makes the chain available; returns its head.</summary>
    public ushort Add(params GuestBuffer[] buffers)
    {
        ushort head = _nextDescriptor;
        for (int i = 0; i < buffers.Length; i++)
        {
            ushort index = (ushort)((head + i) % size);
            bool last = i == buffers.Length - 1;
            ushort flags = (ushort)((buffers[i].Writable ? Descriptor.FlagWrite : 0) | (last ? 0 : Descriptor.FlagNext));
            WriteDescriptor(index, buffers[i].Address, buffers[i].Length, flags, (ushort)((index + 1) % size));
        }
        _nextDescriptor = (ushort)((head + buffers.Length) % size);
        Publish(head);
        return head;
    }

    /// <summary>Puts the buffers in an indirect table at <paramref name="table"/>, referenced by one descriptor.</summary>
    public ushort AddIndirect(ulong table, params GuestBuffer[] buffers)
    {
        for (int i = 0; i < buffers.Length; i++)
        {
            bool last = i == buffers.Length - 1;
            ushort flags = (ushort)((buffers[i].Writable ? Descriptor.FlagWrite : 0) | (last ? 0 : Descriptor.FlagNext));
            WriteDescriptor(table, i, buffers[i].Address, buffers[i].Length, flags, (ushort)(i + 1));
        }
        ushort head = _nextDescriptor;
        WriteDescriptor(head, table, (uint)(16 * buffers.Length), Descriptor.FlagIndirect, 0);
        _nextDescriptor = (ushort)((head + 1) % size);
        Publish(head);
        return head;
    }

    /// <summary>Makes <paramref name="head"/> available and publishes the new index.</summary>
    public void Publish(ushort head)
    {
        memory.WriteObj(avail + 4 + 2UL * (ushort)(_availIdx % size), head);
        _availIdx++;
        memory.WriteVolatileU16(avail + 2, _availIdx);
    }

    public void SetAvailIndex(ushort value)
    {
        _availIdx = value;
        memory.WriteVolatileU16(avail + 2, value);
    }

    public void SetAvailFlags(ushort flags) => memory.WriteObj(avail, flags);

    public void SetUsedEvent(ushort value) => memory.WriteObj(avail + 4 + 2UL * size, value);

    public ushort AvailEvent => memory.ReadObj<ushort>(used + 4 + 8UL * size);

    public ushort UsedIndex => memory.ReadVolatileU16(used + 2);

    public (uint Id, uint Length) UsedElement(int n) =>
        (memory.ReadObj<uint>(used + 4 + 8UL * (ulong)(n % size)), memory.ReadObj<uint>(used + 8 + 8UL * (ulong)(n % size)));
}

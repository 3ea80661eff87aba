namespace Tern.Devices.Virtio.Pci;

/// <summary>One queue's registers in the common configuration, as the driver programs them.</summary>
internal sealed class VirtioQueueRegisters(ushort maxSize)
{
    public ushort Size = maxSize;
    public bool Ready;
    public ulong DescTable;
    public ulong AvailRing;
    public ulong UsedRing;

    public void Reset(ushort maxSize)
    {
        Size = maxSize;
        Ready = false;
        DescTable = AvailRing = UsedRing = 0;
    }
}

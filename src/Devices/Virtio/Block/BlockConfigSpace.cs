using System.Buffers.Binary;

namespace Tern.Devices.Virtio.Block;

/// <summary>The virtio-blk configuration structure (virtio 1.2, 5.2.4), as the driver reads it.</summary>
public static class BlockConfigSpace
{
    /// <summary>Up to and including max_secure_erase_sectors' predecessor fields (1.2 layout).</summary>
    public const int Size = 60;
    private const int CapacityOffset = 0;
    private const int SegMaxOffset = 12;
    private const int BlkSizeOffset = 20;
    private const int NumQueuesOffset = 34;

    public static byte[] Build(ulong capacitySectors, uint segMax, uint blockSize, ushort numQueues)
    {
        var bytes = new byte[Size];
        BinaryPrimitives.WriteUInt64LittleEndian(bytes.AsSpan(CapacityOffset), capacitySectors);
        BinaryPrimitives.WriteUInt32LittleEndian(bytes.AsSpan(SegMaxOffset), segMax);
        BinaryPrimitives.WriteUInt32LittleEndian(bytes.AsSpan(BlkSizeOffset), blockSize);
        BinaryPrimitives.WriteUInt16LittleEndian(bytes.AsSpan(NumQueuesOffset), numQueues);
        return bytes;
    }
}

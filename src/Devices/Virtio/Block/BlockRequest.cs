using System.Buffers.Binary;
using Tern.Devices.Virtio.Queue;
using Tern.Kvm.Memory;

namespace Tern.Devices.Virtio.Block;

/// <summary>
/// One virtio-blk request parsed from a chain (virtio 1.2, 5.2.6): the 16-byte header at the
/// start of the device-readable bytes, the status byte at the end of the device-writable bytes,
/// and the data in between (readable for OUT, writable for IN and GET_ID).
/// </summary>
public sealed class BlockRequest
{
    public const int HeaderSize = 16;

    public const uint TypeIn = 0;
    public const uint TypeOut = 1;
    public const uint TypeFlush = 4;
    public const uint TypeGetId = 8;

    public const byte StatusOk = 0;
    public const byte StatusIoError = 1;
    public const byte StatusUnsupported = 2;

    private BlockRequest(uint type, ulong sector, List<GuestRange> data, ulong dataLength, ulong statusAddress)
    {
        Type = type;
        Sector = sector;
        Data = data;
        DataLength = dataLength;
        StatusAddress = statusAddress;
    }

    public uint Type { get; }
    public ulong Sector { get; }
    public IReadOnlyList<GuestRange> Data { get; }
    public ulong DataLength { get; }
    public ulong StatusAddress { get; }

    /// <summary>Parses a chain; throws <see cref="VirtqueueException"/> when it has no header or no status byte.</summary>
    public static BlockRequest Parse(GuestMemory memory, DescriptorChain chain)
    {
        ulong readable = chain.ReadableLength, writable = chain.WritableLength;
        if (readable < HeaderSize) throw new VirtqueueException($"block request {chain.Head} has a {readable}-byte header, needs {HeaderSize}");
        if (writable < 1) throw new VirtqueueException($"block request {chain.Head} has no device-writable status byte");

        Span<byte> header = stackalloc byte[HeaderSize];
        ChainBytes.Gather(memory, ChainBytes.Ranges(chain.Buffers, writable: false, 0, HeaderSize), 0, header);
        uint type = BinaryPrimitives.ReadUInt32LittleEndian(header);
        ulong sector = BinaryPrimitives.ReadUInt64LittleEndian(header[8..]);

        var last = chain.Buffers[^1]; // writable buffers come last, so this one holds the status
        ulong status = last.Address + last.Length - 1;

        (List<GuestRange> data, ulong length) = type switch
        {
            TypeOut => (ChainBytes.Ranges(chain.Buffers, writable: false, HeaderSize, readable - HeaderSize), readable - HeaderSize),
            TypeIn or TypeGetId => (ChainBytes.Ranges(chain.Buffers, writable: true, 0, writable - 1), writable - 1),
            _ => (new List<GuestRange>(), 0UL),
        };
        return new BlockRequest(type, sector, data, length, status);
    }
}

namespace Tern.Kvm.Boot.Acpi.Aml;

/// <summary>
/// Resource descriptors for _CRS (ACPI 6.x, section 6.4) and the ResourceTemplate buffer that holds
/// them. Address-space descriptors are written as a root bridge announces its windows: producer,
/// positive decode, fixed minimum and maximum, no translation.
/// </summary>
public static class AmlResource
{
    private const byte IoDescriptor = 0x47;        // small item 0x08, 7 bytes
    private const byte IrqDescriptor = 0x22;       // small item 0x04, 2 bytes (no flags byte)
    private const byte EndTag = 0x79;              // small item 0x0f, 1 byte
    private const byte DWordAddressSpace = 0x87;
    private const byte WordAddressSpace = 0x88;
    private const byte QWordAddressSpace = 0x8a;

    private const byte MemoryRange = 0;
    private const byte IoRange = 1;
    private const byte BusNumberRange = 2;

    // General flags: bit 3 max fixed, bit 2 min fixed, bit 1 subtractive decode, bit 0 consumer.
    private const byte ProducerFixedWindow = (1 << 3) | (1 << 2);

    private const byte IoEntireRange = 3;          // _RNG: ISA and non-ISA ports
    private const byte MemoryReadWrite = 1;        // _RW
    private const byte MemoryCacheable = 1 << 1;   // _MEM = 1

    /// <summary>ResourceTemplate(){descriptors}: a Buffer ending with an End Tag (checksum 0: none).</summary>
    public static byte[] Template(params byte[][] descriptors) =>
        Aml.Buffer(Aml.Concat([.. descriptors, [EndTag, 0]]));

    /// <summary>WordBusNumber(ResourceProducer, MinFixed, MaxFixed, PosDecode, 0, min, max, 0, count).</summary>
    public static byte[] WordBusNumber(ushort min, ushort max) => Word(BusNumberRange, 0, min, max);

    /// <summary>WordIO(ResourceProducer, MinFixed, MaxFixed, PosDecode, EntireRange, 0, min, max, 0, count).</summary>
    public static byte[] WordIo(ushort min, ushort max) => Word(IoRange, IoEntireRange, min, max);

    /// <summary>IO(Decode16, min, max, alignment, length).</summary>
    public static byte[] Io(ushort min, ushort max, byte alignment, byte length) =>
        new ByteWriter(8).U8(IoDescriptor).U8(1 /* Decode16 */).U16(min).U16(max).U8(alignment).U8(length).ToArray();

    /// <summary>IRQNoFlags(){irqs}: edge-triggered, active-high ISA IRQs.</summary>
    public static byte[] IrqNoFlags(params int[] irqs)
    {
        ushort mask = 0;
        foreach (int irq in irqs)
        {
            if (irq is < 0 or > 15) throw new ArgumentOutOfRangeException(nameof(irqs), $"ISA IRQ {irq}");
            mask |= (ushort)(1 << irq);
        }
        return new ByteWriter(3).U8(IrqDescriptor).U16(mask).ToArray();
    }

    /// <summary>DWordMemory(ResourceProducer, PosDecode, MinFixed, MaxFixed, NonCacheable, ReadWrite, 0, min, max, 0, length).</summary>
    public static byte[] DWordMemory(uint min, uint max)
    {
        if (max < min) throw new ArgumentException($"memory window 0x{min:x}-0x{max:x} is empty");
        var w = new ByteWriter(26).U8(DWordAddressSpace).U16(23)
            .U8(MemoryRange).U8(ProducerFixedWindow).U8(MemoryReadWrite)
            .U32(0).U32(min).U32(max).U32(0).U32(max - min + 1);
        return w.ToArray();
    }

    /// <summary>QWordMemory(ResourceProducer, PosDecode, MinFixed, MaxFixed, Cacheable, ReadWrite, 0, min, max, 0, length).</summary>
    public static byte[] QWordMemory(ulong min, ulong max)
    {
        if (max < min) throw new ArgumentException($"memory window 0x{min:x}-0x{max:x} is empty");
        var w = new ByteWriter(46).U8(QWordAddressSpace).U16(43)
            .U8(MemoryRange).U8(ProducerFixedWindow).U8(MemoryReadWrite | MemoryCacheable)
            .U64(0).U64(min).U64(max).U64(0).U64(max - min + 1);
        return w.ToArray();
    }

    private static byte[] Word(byte resourceType, byte typeFlags, ushort min, ushort max)
    {
        if (max < min) throw new ArgumentException($"window 0x{min:x}-0x{max:x} is empty");
        var w = new ByteWriter(16).U8(WordAddressSpace).U16(13)
            .U8(resourceType).U8(ProducerFixedWindow).U8(typeFlags)
            .U16(0).U16(min).U16(max).U16(0).U16((ushort)(max - min + 1));
        return w.ToArray();
    }
}

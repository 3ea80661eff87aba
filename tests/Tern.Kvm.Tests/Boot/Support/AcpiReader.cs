using System.Buffers.Binary;
using System.Text;
using Tern.Kvm.Memory;

namespace Tern.Kvm.Tests.Boot.Support;

/// <summary>Follows the ACPI tables in guest memory as an OS would: RSDP, XSDT, then FADT to the DSDT and FACS.</summary>
internal sealed class AcpiReader
{
    public AcpiReader(GuestMemory memory, ulong rsdpAddress)
    {
        Memory = memory;
        Rsdp = memory.ReadSpan(rsdpAddress, 36).ToArray();
        Xsdt = Table(BinaryPrimitives.ReadUInt64LittleEndian(Rsdp.AsSpan(24)));
        Rsdt = Table(BinaryPrimitives.ReadUInt32LittleEndian(Rsdp.AsSpan(16)));
        for (int at = 36; at < Xsdt.Length; at += 8)
        {
            var table = Table(BinaryPrimitives.ReadUInt64LittleEndian(Xsdt.AsSpan(at)));
            Tables[Signature(table)] = table;
        }
        var fadt = Tables["FACP"];
        Dsdt = Table(BinaryPrimitives.ReadUInt64LittleEndian(fadt.AsSpan(140)));
        FacsAddress = BinaryPrimitives.ReadUInt32LittleEndian(fadt.AsSpan(36));
        Facs = memory.ReadSpan(FacsAddress, 64).ToArray();
    }

    public GuestMemory Memory { get; }
    public byte[] Rsdp { get; }
    public byte[] Xsdt { get; }
    public byte[] Rsdt { get; }
    public byte[] Dsdt { get; }
    public byte[] Facs { get; }
    public ulong FacsAddress { get; }
    public Dictionary<string, byte[]> Tables { get; } = [];

    public byte[] Table(ulong address)
    {
        uint length = BinaryPrimitives.ReadUInt32LittleEndian(Memory.ReadSpan(address + 4, 4));
        return Memory.ReadSpan(address, (int)length).ToArray();
    }

    public static string Signature(byte[] table) => Encoding.ASCII.GetString(table, 0, 4);

    public static byte Sum(ReadOnlySpan<byte> data)
    {
        byte sum = 0;
        foreach (var b in data) sum += b;
        return sum;
    }
}

namespace Tern.Kvm.Boot.Acpi;

/// <summary>The Root System Description Pointer, revision 2: the RSDT and XSDT addresses, both checksums.</summary>
internal static class Rsdp
{
    public const int Size = 36;
    private const int V1Size = 20;

    public static byte[] Build(uint rsdtAddress, ulong xsdtAddress)
    {
        var w = new ByteWriter(Size);
        w.Ascii("RSD PTR ", 8).U8(0).Ascii(AcpiTableHeader.OemId, 6).U8(2)
            .U32(rsdtAddress).U32(Size).U64(xsdtAddress).U8(0).Zeros(3);
        Checksum.Fill(w.Written[..V1Size], 8);
        Checksum.Fill(w.Written, 32);
        return w.ToArray();
    }
}

using Tern.Kvm.Arch;

namespace Tern.Kvm.Boot.Acpi;

/// <summary>The PCI Express memory-mapped configuration table: ECAM for segment 0, buses 0-255.</summary>
internal static class Mcfg
{
    public static byte[] Build()
    {
        var w = AcpiTableHeader.Begin("MCFG", 1);
        w.Zeros(8)
            .U64(MemoryLayout.EcamBase).U16(0) // segment group
            .U8(0).U8((byte)(MemoryLayout.EcamSize / (1 << 20) - 1)) // first and last bus: 1 MiB of ECAM each
            .U32(0);
        return AcpiTableHeader.Finish(w);
    }
}

namespace Tern.Kvm.Boot.Acpi;

/// <summary>The RSDT (32-bit pointers, for old readers) and XSDT (64-bit pointers) listing the other tables.</summary>
internal static class RootTables
{
    public static byte[] Rsdt(IEnumerable<ulong> tables)
    {
        var w = AcpiTableHeader.Begin("RSDT", 1);
        foreach (var t in tables) w.U32(checked((uint)t));
        return AcpiTableHeader.Finish(w);
    }

    public static byte[] Xsdt(IEnumerable<ulong> tables)
    {
        var w = AcpiTableHeader.Begin("XSDT", 1);
        foreach (var t in tables) w.U64(t);
        return AcpiTableHeader.Finish(w);
    }
}

using Tern.Kvm.Arch;
using Tern.Kvm.Memory;

namespace Tern.Kvm.Boot.Acpi;

/// <summary>
/// Lays the ACPI tables out in the BIOS area [<see cref="MemoryLayout.BiosStart"/>,
/// <see cref="MemoryLayout.BiosEnd"/>), where Linux also finds the RSDP by scanning:
/// RSDP, FACS, DSDT, FADT, MADT, MCFG, then the RSDT and XSDT that list FADT, MADT and MCFG.
/// </summary>
public static class AcpiTables
{
    /// <summary>The largest vCPU count the MADT describes: xAPIC ids are one byte and 0xff is the broadcast id.</summary>
    public const int MaxVcpus = 255;

    private const ulong TableAlignment = 16;

    /// <summary>The RSDP sits first, on the 16-byte boundary the scan requires.</summary>
    public const ulong RsdpAddress = MemoryLayout.BiosStart;

    /// <summary>Writes every table for <paramref name="vcpus"/> vCPUs and returns the RSDP's address.</summary>
    public static ulong Write(GuestMemory memory, int vcpus, ulong ramSize)
    {
        foreach (var (address, bytes) in Build(vcpus, ramSize))
            memory.Write(address, bytes);
        return RsdpAddress;
    }

    /// <summary>Each table with the address it belongs at.</summary>
    public static IReadOnlyList<(ulong Address, byte[] Bytes)> Build(int vcpus, ulong ramSize)
    {
        if (vcpus is < 1 or > MaxVcpus) throw new BootException($"ACPI describes 1 to {MaxVcpus} vCPUs, not {vcpus}");
        var placed = new List<(ulong, byte[])>();
        ulong cursor = RsdpAddress + Rsdp.Size;

        ulong Place(byte[] table, ulong alignment = TableAlignment)
        {
            ulong address = MemoryLayout.AlignUp(cursor, alignment);
            if (address + (ulong)table.Length > MemoryLayout.BiosEnd)
                throw new BootException($"the ACPI tables for {vcpus} vCPUs do not fit below 0x{MemoryLayout.BiosEnd:x}");
            placed.Add((address, table));
            cursor = address + (ulong)table.Length;
            return address;
        }

        ulong facs = Place(Facs.Build(), Facs.Alignment);
        ulong dsdt = Place(Dsdt.Build(ramSize));
        ulong fadt = Place(Fadt.Build(checked((uint)facs), dsdt));
        ulong madt = Place(Madt.Build(vcpus));
        ulong mcfg = Place(Mcfg.Build());
        ulong[] described = [fadt, madt, mcfg];
        ulong rsdt = Place(RootTables.Rsdt(described));
        ulong xsdt = Place(RootTables.Xsdt(described));
        placed.Insert(0, (RsdpAddress, Rsdp.Build(checked((uint)rsdt), xsdt)));
        return placed;
    }
}

using System.Buffers.Binary;
using Tern.Kvm.Arch;
using Tern.Kvm.Boot;
using Tern.Kvm.Boot.Acpi;
using Tern.Kvm.Tests.Boot.Support;

namespace Tern.Kvm.Tests.Boot;

public class AcpiTablesTests
{
    private static AcpiReader Written(BootHarness h, int vcpus = 2)
    {
        ulong rsdp = AcpiTables.Write(h.Memory, vcpus, h.RamSize);
        Assert.Equal(MemoryLayout.BiosStart, rsdp);
        return new AcpiReader(h.Memory, rsdp);
    }

    private static ushort U16(byte[] t, int at) => BinaryPrimitives.ReadUInt16LittleEndian(t.AsSpan(at));
    private static uint U32(byte[] t, int at) => BinaryPrimitives.ReadUInt32LittleEndian(t.AsSpan(at));
    private static ulong U64(byte[] t, int at) => BinaryPrimitives.ReadUInt64LittleEndian(t.AsSpan(at));

    [Fact]
    public void Rsdp_is_revision_2_with_both_checksums_right()
    {
        using var h = new BootHarness();
        var acpi = Written(h);
        Assert.Equal("RSD PTR "u8.ToArray(), acpi.Rsdp[..8]);
        Assert.Equal(2, acpi.Rsdp[15]);
        Assert.Equal(36u, U32(acpi.Rsdp, 20));
        Assert.Equal(0, AcpiReader.Sum(acpi.Rsdp.AsSpan(0, 20)));
        Assert.Equal(0, AcpiReader.Sum(acpi.Rsdp));
    }

    [Fact]
    public void Every_acpi_table_has_a_right_checksum_and_lies_in_the_bios_area()
    {
        using var h = new BootHarness();
        var acpi = Written(h);
        var all = acpi.Tables.Values.Concat([acpi.Xsdt, acpi.Rsdt, acpi.Dsdt]).ToList();
        Assert.Equal(["APIC", "FACP", "MCFG"], acpi.Tables.Keys.Order());
        foreach (var table in all)
            Assert.True(AcpiReader.Sum(table) == 0, $"{AcpiReader.Signature(table)} checksum");
        foreach (var (address, bytes) in AcpiTables.Build(2, h.RamSize))
        {
            Assert.True(address >= MemoryLayout.BiosStart && address + (ulong)bytes.Length <= MemoryLayout.BiosEnd);
            Assert.Equal(0UL, address % 16);
        }
    }

    [Fact]
    public void Rsdt_lists_the_same_tables_as_the_xsdt()
    {
        using var h = new BootHarness();
        var acpi = Written(h);
        var fromXsdt = Enumerable.Range(0, (acpi.Xsdt.Length - 36) / 8).Select(i => U64(acpi.Xsdt, 36 + i * 8));
        var fromRsdt = Enumerable.Range(0, (acpi.Rsdt.Length - 36) / 4).Select(i => (ulong)U32(acpi.Rsdt, 36 + i * 4));
        Assert.Equal(fromXsdt, fromRsdt);
    }

    [Fact]
    public void Fadt_is_revision_6_not_hw_reduced_with_the_pm_blocks_reset_register_and_dsdt()
    {
        using var h = new BootHarness();
        var acpi = Written(h);
        var f = acpi.Tables["FACP"];
        Assert.Equal(276, f.Length);
        Assert.Equal(6, f[8]);
        Assert.Equal(9, U16(f, 46));                       // SCI_INT
        Assert.Equal(0u, U32(f, 48));                      // SMI_CMD
        Assert.Equal(0x600u, U32(f, 56));                  // PM1a_EVT_BLK
        Assert.Equal(0x604u, U32(f, 64));                  // PM1a_CNT_BLK
        Assert.Equal(0x608u, U32(f, 76));                  // PM_TMR_BLK
        Assert.Equal(0x620u, U32(f, 80));                  // GPE0_BLK
        Assert.Equal([4, 2, 0, 4, 16], f[88..93]);         // PM1_EVT, PM1_CNT, PM2_CNT, PM_TMR, GPE0 lengths
        Assert.Equal(2, U16(f, 109));                      // IAPC_BOOT_ARCH: 8042
        uint flags = U32(f, 112);
        Assert.Equal((1u << 0) | (1u << 2) | (1u << 5) | (1u << 10), flags); // WBINVD, PROC_C1, SLP_BUTTON, RESET_REG_SUP
        Assert.Equal([1, 8, 0, 1], f[116..120]);           // RESET_REG: system I/O, 8 bits, byte access
        Assert.Equal(0xcf9UL, U64(f, 120));
        Assert.Equal(6, f[128]);                           // RESET_VALUE
        Assert.Equal(U32(f, 40), (uint)U64(f, 140));       // DSDT == X_DSDT
        Assert.Equal("DSDT"u8.ToArray(), acpi.Dsdt[..4]);
        AssertIoGas(f, 148, 0x600, 32);                    // X_PM1a_EVT_BLK
        AssertIoGas(f, 172, 0x604, 16);                    // X_PM1a_CNT_BLK
        AssertIoGas(f, 208, 0x608, 32);                    // X_PM_TMR_BLK
        AssertIoGas(f, 220, 0x620, 128);                   // X_GPE0_BLK
    }

    private static void AssertIoGas(byte[] table, int at, ulong port, int bits)
    {
        Assert.Equal(1, table[at]);
        Assert.Equal(bits, table[at + 1]);
        Assert.Equal(port, U64(table, at + 4));
    }

    [Fact]
    public void Facs_is_64_byte_aligned_and_named()
    {
        using var h = new BootHarness();
        var acpi = Written(h);
        Assert.Equal(0UL, acpi.FacsAddress % 64);
        Assert.Equal("FACS"u8.ToArray(), acpi.Facs[..4]);
        Assert.Equal(64u, U32(acpi.Facs, 4));
    }

    [Theory]
    [InlineData(1)]
    [InlineData(2)]
    public void Madt_has_one_enabled_lapic_per_vcpu_one_ioapic_two_overrides_and_a_lint1_nmi(int vcpus)
    {
        using var h = new BootHarness();
        var m = Written(h, vcpus).Tables["APIC"];
        Assert.Equal(0xfee0_0000u, U32(m, 36));
        Assert.Equal(1u, U32(m, 40)); // PCAT_COMPAT
        var counts = new Dictionary<byte, int>();
        var lapics = new List<(byte Uid, byte ApicId, uint Flags)>();
        var overrides = new List<(byte Irq, uint Gsi, ushort Flags)>();
        for (int at = 44; at < m.Length; at += m[at + 1])
        {
            byte type = m[at];
            counts[type] = counts.GetValueOrDefault(type) + 1;
            switch (type)
            {
                case 0: lapics.Add((m[at + 2], m[at + 3], U32(m, at + 4))); break;
                case 1: Assert.Equal((0xfec0_0000u, 0u), (U32(m, at + 4), U32(m, at + 8))); break;
                case 2: overrides.Add((m[at + 3], U32(m, at + 4), U16(m, at + 8))); break;
                case 4: Assert.Equal((0xff, 1), (m[at + 2], m[at + 5])); break;
            }
        }
        Assert.Equal(new Dictionary<byte, int> { [0] = vcpus, [1] = 1, [2] = 2, [4] = 1 }, counts);
        Assert.Equal(Enumerable.Range(0, vcpus).Select(i => ((byte)i, (byte)i, 1u)), lapics);
        Assert.Equal([((byte)0, 2u, (ushort)0), ((byte)9, 9u, (ushort)0x0d)], overrides);
    }

    [Fact]
    public void Mcfg_maps_ecam_for_segment_0_buses_0_to_255()
    {
        using var h = new BootHarness();
        var m = Written(h).Tables["MCFG"];
        Assert.Equal(60, m.Length);
        Assert.Equal(MemoryLayout.EcamBase, U64(m, 44));
        Assert.Equal(0, U16(m, 52));
        Assert.Equal((0, 255), (m[54], m[55]));
    }

    [Fact]
    public void Acpi_tables_for_the_largest_vcpu_count_still_fit_the_bios_area()
    {
        var tables = AcpiTables.Build(AcpiTables.MaxVcpus, 1UL << 30);
        Assert.True(tables.Max(t => t.Address + (ulong)t.Bytes.Length) <= MemoryLayout.BiosEnd);
        Assert.Throws<BootException>(() => AcpiTables.Build(AcpiTables.MaxVcpus + 1, 1UL << 30));
    }

    [Fact]
    public void Kernel_loader_writes_the_acpi_and_mp_tables_for_its_vcpus_and_points_the_zero_page_at_the_rsdp()
    {
        using var h = new BootHarness();
        h.Load(TestImages.SimpleElf(), vcpus: 3);
        var acpi = new AcpiReader(h.Memory, h.U64(MemoryLayout.ZeroPage + 0x70));
        Assert.Equal(44 + 3 * 8 + 12 + 2 * 10 + 6, acpi.Tables["APIC"].Length);
        Assert.Equal("_MP_"u8.ToArray(), h.Bytes(MemoryLayout.MpTableAddress, 4));
    }
}

using Tern.Kvm.Arch;
using Tern.Kvm.Boot;
using Tern.Kvm.Boot.Acpi;
using Tern.Kvm.Tests.Boot.Support;
using static Tern.Kvm.Tests.Boot.Support.TestImages;

namespace Tern.Kvm.Tests.Boot;

public class PvhStartInfoTests
{
    private const ulong Si = MemoryLayout.PvhStartInfo;

    [Fact]
    public void Pvh_start_info_has_magic_version_cmdline_rsdp_and_memmap()
    {
        using var h = new BootHarness();
        h.Load(SimpleElf(PvhNote(KernelBase)), cmdline: "earlyprintk");
        Assert.Equal(0x336e_c578u, h.U32(Si));
        Assert.Equal(1u, h.U32(Si + 4));                          // version
        Assert.Equal(0u, h.U32(Si + 12));                         // nr_modules
        Assert.Equal(MemoryLayout.CmdlineAddress, h.U64(Si + 24));
        Assert.Equal(AcpiTables.RsdpAddress, h.U64(Si + 32));
        Assert.Equal(MemoryLayout.PvhMemMap, h.U64(Si + 40));
        Assert.Equal("earlyprintk", h.CString(h.U64(Si + 24)));
    }

    [Theory]
    [InlineData(512UL << 20)]
    [InlineData(5UL << 30)]
    public void Pvh_memmap_holds_the_e820_map_as_hvm_memmap_table_entries(ulong ramSize)
    {
        using var h = new BootHarness(ramSize);
        h.Load(SimpleElf(PvhNote(KernelBase)));
        var expected = E820Map.Build(ramSize);
        Assert.Equal((uint)expected.Count, h.U32(Si + 48));
        for (int i = 0; i < expected.Count; i++)
        {
            ulong entry = MemoryLayout.PvhMemMap + (ulong)i * 24;
            Assert.Equal(expected[i], new E820Entry(h.U64(entry), h.U64(entry + 8), (E820Type)h.U32(entry + 16)));
            Assert.Equal(0u, h.U32(entry + 20));
        }
    }

    [Fact]
    public void Pvh_initrd_is_the_one_module_in_the_modlist()
    {
        using var h = new BootHarness();
        var initrd = new byte[0x1800];
        Random.Shared.NextBytes(initrd);
        h.Load(SimpleElf(PvhNote(KernelBase)), initrd);
        Assert.Equal(1u, h.U32(Si + 12));
        ulong modlist = h.U64(Si + 16);
        Assert.Equal(MemoryLayout.PvhModList, modlist);
        ulong paddr = h.U64(modlist);
        Assert.Equal((ulong)initrd.Length, h.U64(modlist + 8));
        Assert.Equal(0UL, h.U64(modlist + 16)); // no module command line
        Assert.Equal(0UL, paddr % MemoryLayout.PageSize);
        Assert.Equal(initrd, h.Bytes(paddr, initrd.Length));
    }

    [Fact]
    public void Pvh_boot_leaves_the_zero_page_alone()
    {
        using var h = new BootHarness();
        h.Load(SimpleElf(PvhNote(KernelBase)));
        Assert.All(h.Bytes(MemoryLayout.ZeroPage, 4096), b => Assert.Equal(0, b));
    }
}

using Tern.Kvm.Arch;
using Tern.Kvm.Boot;
using Tern.Kvm.Boot.Acpi;
using Tern.Kvm.Tests.Boot.Support;
using static Tern.Kvm.Tests.Boot.Support.TestImages;

namespace Tern.Kvm.Tests.Boot;

public class ZeroPageTests
{
    private const ulong Zp = MemoryLayout.ZeroPage;

    [Fact]
    public void Vmlinux_zero_page_has_the_header_fields_firecracker_fills()
    {
        using var h = new BootHarness();
        h.Load(SimpleElf(), cmdline: "root=/dev/vda");
        Assert.Equal(0xaa55, h.U16(Zp + 0x1fe));                 // boot_flag
        Assert.Equal(0x5372_6448u, h.U32(Zp + 0x202));           // "HdrS"
        Assert.Equal(0xff, h.U8(Zp + 0x210));                    // type_of_loader
        Assert.Equal(0x0100_0000u, h.U32(Zp + 0x230));           // kernel_alignment
        Assert.Equal((uint)MemoryLayout.CmdlineAddress, h.U32(Zp + 0x228)); // cmd_line_ptr
        Assert.Equal((uint)"root=/dev/vda".Length, h.U32(Zp + 0x238));      // cmdline_size
        Assert.Equal(AcpiTables.RsdpAddress, h.U64(Zp + 0x070));             // acpi_rsdp_addr
        Assert.Equal(0u, h.U32(Zp + 0x218));                     // no ramdisk
    }

    [Theory]
    [InlineData(512UL << 20)]
    [InlineData(5UL << 30)]
    public void Zero_page_carries_the_e820_map(ulong ramSize)
    {
        using var h = new BootHarness(ramSize);
        h.Load(SimpleElf());
        var expected = E820Map.Build(ramSize);
        Assert.Equal(expected.Count, h.U8(Zp + 0x1e8));
        for (int i = 0; i < expected.Count; i++)
        {
            ulong entry = Zp + 0x2d0 + (ulong)i * 20;
            Assert.Equal(expected[i], new E820Entry(h.U64(entry), h.U64(entry + 8), (E820Type)h.U32(entry + 16)));
        }
    }
}

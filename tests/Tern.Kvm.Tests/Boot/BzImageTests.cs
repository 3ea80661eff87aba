using Tern.Kvm.Arch;
using Tern.Kvm.Boot;
using Tern.Kvm.Boot.Acpi;
using Tern.Kvm.Tests.Boot.Support;
using static Tern.Kvm.Tests.Boot.Support.TestImages;

namespace Tern.Kvm.Tests.Boot;

public class BzImageTests
{
    private const ulong Zp = MemoryLayout.ZeroPage;
    private const ulong OneMiB = 0x10_0000;

    [Fact]
    public void BzImage_boots_linux64_at_1MiB_plus_0x200_with_its_protected_mode_part_at_1MiB()
    {
        using var h = new BootHarness();
        var payload = BzPayload();
        var entry = h.Load(BzImage(payload, setupSects: 3));
        Assert.Equal(new BootEntry(BootProtocol.Linux64, OneMiB + 0x200, Zp), entry);
        Assert.Equal(payload, h.Bytes(OneMiB, payload.Length));
    }

    [Fact]
    public void BzImage_with_zero_setup_sects_has_four()
    {
        using var h = new BootHarness();
        var payload = BzPayload();
        h.Load(BzImage(payload, setupSects: 0));
        Assert.Equal(payload, h.Bytes(OneMiB, payload.Length));
    }

    [Fact]
    public void BzImage_setup_header_is_copied_into_the_zero_page_and_the_loader_fields_set()
    {
        using var h = new BootHarness();
        h.Load(BzImage(BzPayload(), setupSects: 2), cmdline: "quiet");
        Assert.Equal(2, h.U8(Zp + 0x1f1));                       // setup_sects from the file
        Assert.Equal(0x1234, h.U16(Zp + 0x20e));                 // kernel_version marker from the file
        Assert.Equal(0x020f, h.U16(Zp + 0x206));                 // protocol version from the file
        Assert.Equal(2047u, h.U32(Zp + 0x238));                  // the kernel's cmdline_size kept
        Assert.Equal(0xff, h.U8(Zp + 0x210));                    // type_of_loader
        Assert.Equal(0x81, h.U8(Zp + 0x211));                    // LOADED_HIGH | CAN_USE_HEAP
        Assert.Equal(0xfe00, h.U16(Zp + 0x224));                 // heap_end_ptr
        Assert.Equal((uint)MemoryLayout.CmdlineAddress, h.U32(Zp + 0x228));
        Assert.Equal(AcpiTables.RsdpAddress, h.U64(Zp + 0x070));
        Assert.Equal("quiet", h.CString(MemoryLayout.CmdlineAddress));
    }

    [Fact]
    public void BzImage_initrd_ends_below_initrd_addr_max_and_above_init_size()
    {
        using var h = new BootHarness(1UL << 30);
        var initrd = new byte[0x1234];
        Random.Shared.NextBytes(initrd);
        h.Load(BzImage(BzPayload(), initrdAddrMax: 0x0fff_ffff), initrd);
        ulong image = h.U32(Zp + 0x218);
        Assert.Equal(0x1000_0000UL - 0x2000, image);
        Assert.Equal((uint)initrd.Length, h.U32(Zp + 0x21c));
        Assert.Equal(initrd, h.Bytes(image, initrd.Length));
    }

    [Fact]
    public void BzImage_without_room_for_the_initrd_above_its_decompressed_kernel_is_refused()
    {
        using var h = new BootHarness(1UL << 30);
        // The kernel unpacks into 16 MiB + 32 MiB; initrd_addr_max leaves 48 MiB + 4 KiB.
        var kernel = BzImage(BzPayload(), initrdAddrMax: 0x0300_0fff, prefAddress: 0x100_0000, initSize: 0x200_0000);
        var e = Assert.Throws<BootException>(() => h.Load(kernel, new byte[0x2000]));
        Assert.Contains("initrd", e.Message);
    }

    [Fact]
    public void BzImage_command_line_longer_than_its_cmdline_size_is_refused()
    {
        using var h = new BootHarness();
        var e = Assert.Throws<BootException>(() => h.Load(BzImage(BzPayload(), cmdlineSize: 10), cmdline: "console=ttyS0"));
        Assert.Contains("command line", e.Message);
    }

    [Theory]
    [InlineData((ushort)0x020b, (ushort)1)] // protocol before the 64-bit entry
    [InlineData((ushort)0x020f, (ushort)0)] // no XLF_KERNEL_64
    public void BzImage_without_a_64_bit_entry_is_refused(ushort version, ushort xloadflags)
    {
        using var h = new BootHarness();
        var e = Assert.Throws<BootException>(() => h.Load(BzImage(BzPayload(), version, xloadflags)));
        Assert.Contains("64-bit entry", e.Message);
    }
}

using System.Buffers.Binary;
using Tern.Kvm.Arch;
using Tern.Kvm.Boot;
using Tern.Kvm.Tests.Boot.Support;
using static Tern.Kvm.Tests.Boot.Support.TestImages;

namespace Tern.Kvm.Tests.Boot;

/// <summary>Broken or hostile files and settings give a BootException naming the culprit, never a stray write.</summary>
public class HostileKernelTests
{
    private static BootException Refused(byte[] kernel, byte[]? initrd = null, string cmdline = "console=ttyS0", ulong ram = BootHarness.DefaultRam)
    {
        using var h = new BootHarness(ram);
        return Assert.Throws<BootException>(() => h.Load(kernel, initrd, cmdline));
    }

    [Fact]
    public void Truncated_elf_header_is_refused()
    {
        var e = Refused(SimpleElf()[..40]);
        Assert.Contains("truncated", e.Message);
    }

    [Fact]
    public void Elf_whose_program_headers_run_past_the_file_is_refused()
    {
        var elf = SimpleElf();
        BinaryPrimitives.WriteUInt64LittleEndian(elf.AsSpan(32), 0xffff_ffff_ffff_ff00); // e_phoff
        Assert.Contains("truncated", Refused(elf).Message);
    }

    [Fact]
    public void Elf_truncated_inside_a_segment_is_refused()
    {
        var elf = SimpleElf();
        Assert.Contains("beyond the end of the file", Refused(elf[..(elf.Length - 2)]).Message);
    }

    [Fact]
    public void Elf_for_another_machine_is_refused() =>
        Assert.Contains("not x86_64", Refused(Elf(KernelBase, [new(KernelBase, Code, 0x1000)], machine: 0xb7)).Message);

    [Theory]
    [InlineData(0x2_0000_0000UL)]          // far above RAM
    [InlineData(0x1fff_f000UL)]            // starts in RAM, runs past its end (512 MiB)
    [InlineData(0x8000UL)]                 // over the boot structures below 1 MiB
    [InlineData(0xb000_0000UL)]            // in the PCI hole
    public void Segment_outside_loadable_ram_is_refused(ulong paddr)
    {
        var e = Refused(Elf(paddr, [new(paddr, Code, 0x2000)]));
        Assert.Contains("outside loadable RAM", e.Message);
    }

    [Fact]
    public void Segment_whose_end_wraps_around_is_refused() =>
        Assert.Contains("outside loadable RAM", Refused(Elf(KernelBase, [new(KernelBase, Code, ulong.MaxValue - 0x1000)])).Message);

    [Fact]
    public void Huge_p_filesz_is_refused()
    {
        var segment = new TestSegment(KernelBase, Code, ulong.MaxValue) { FileSize = 0xffff_ffff_ffff_0000 };
        Assert.IsType<BootException>(Refused(Elf(KernelBase, [segment])));
    }

    [Fact]
    public void File_size_above_memory_size_is_refused()
    {
        var segment = new TestSegment(KernelBase, Code, 4);
        Assert.Contains("above its memory size", Refused(Elf(KernelBase, [segment])).Message);
    }

    [Fact]
    public void Segment_offset_that_wraps_around_is_refused()
    {
        var segment = new TestSegment(KernelBase, Code, 0x1000) { Offset = ulong.MaxValue - 2 };
        Assert.Contains("beyond the end of the file", Refused(Elf(KernelBase, [segment])).Message);
    }

    [Fact]
    public void Entry_point_outside_the_segments_is_refused() =>
        Assert.Contains("entry point", Refused(Elf(0x4000_0000, [new(KernelBase, Code, 0x1000)])).Message);

    [Fact]
    public void Pvh_note_that_claims_more_bytes_than_it_has_is_refused()
    {
        var note = PvhNote(KernelBase);
        BinaryPrimitives.WriteUInt32LittleEndian(note.AsSpan(4), 0xffff_fff0); // descsz of the first note
        Assert.Contains("note", Refused(SimpleElf(note)).Message);
    }

    [Fact]
    public void Pvh_entry_above_4G_is_refused() =>
        Assert.Contains("above 4 GiB", Refused(SimpleElf(PvhNote(0x1_0000_0000, 8))).Message);

    [Fact]
    public void Elf_with_no_loadable_segment_is_refused() =>
        Assert.Contains("no loadable segment", Refused(Elf(KernelBase, [new(0, PvhNote(KernelBase), 0, PtNote)])).Message);

    [Fact]
    public void Bad_magic_is_neither_an_elf_nor_a_bzimage()
    {
        var junk = new byte[4096];
        new Random(7).NextBytes(junk);
        Assert.Matches("^kernel .* is neither an ELF nor a bzImage$", Refused(junk).Message);
    }

    [Fact]
    public void Empty_kernel_is_neither_an_elf_nor_a_bzimage() =>
        Assert.Contains("neither an ELF nor a bzImage", Refused([]).Message);

    [Fact]
    public void BzImage_shorter_than_its_setup_sectors_is_refused() =>
        Assert.Contains("truncated", Refused(BzImage(BzPayload(), setupSects: 30)[..4000]).Message);

    [Fact]
    public void BzImage_whose_unpacked_kernel_exceeds_ram_is_refused() =>
        Assert.Contains("outside loadable RAM", Refused(BzImage(BzPayload(), initSize: 0x4000_0000)).Message);

    [Fact]
    public void Missing_kernel_cannot_be_read()
    {
        using var h = new BootHarness();
        var e = Assert.Throws<BootException>(() =>
            KernelLoader.Load(h.Memory, new BootSpec("/nonexistent/vmlinux", null, "", 1, h.RamSize)));
        Assert.Equal("cannot read kernel /nonexistent/vmlinux: no such file", e.Message);
    }

    [Fact]
    public void Kernel_that_is_a_directory_cannot_be_read()
    {
        using var h = new BootHarness();
        var e = Assert.Throws<BootException>(() => KernelLoader.Load(h.Memory, new BootSpec("/tmp", null, "", 1, h.RamSize)));
        Assert.StartsWith("cannot read kernel /tmp:", e.Message);
    }

    [Fact]
    public void Missing_initrd_cannot_be_read()
    {
        using var h = new BootHarness();
        var e = Assert.Throws<BootException>(() =>
            KernelLoader.Load(h.Memory, new BootSpec(h.File(SimpleElf()), "/nonexistent/initrd", "", 1, h.RamSize)));
        Assert.Equal("cannot read initrd /nonexistent/initrd: no such file", e.Message);
    }

    [Fact]
    public void Initrd_too_large_for_the_room_below_its_ceiling_is_refused()
    {
        var e = Refused(SimpleElf(), new byte[40 << 20], ram: 32UL << 20);
        Assert.Contains("does not fit", e.Message);
    }

    [Fact]
    public void Empty_initrd_is_refused() => Assert.Contains("empty", Refused(SimpleElf(), []).Message);

    [Fact]
    public void Command_line_too_long_is_refused() =>
        Assert.Contains("command line", Refused(SimpleElf(), cmdline: new string('x', 4096)).Message);

    [Fact]
    public void Command_line_with_a_nul_is_refused() =>
        Assert.Contains("NUL", Refused(SimpleElf(), cmdline: "a\0b").Message);

    [Theory]
    [InlineData(0)]
    [InlineData(256)]
    public void Vcpu_count_outside_what_the_tables_describe_is_refused(int vcpus)
    {
        using var h = new BootHarness();
        Assert.Throws<BootException>(() => h.Load(SimpleElf(), vcpus: vcpus));
    }

    [Fact]
    public void Refused_kernel_writes_nothing_into_guest_ram()
    {
        using var h = new BootHarness();
        // A valid first segment followed by one outside RAM: nothing may be loaded.
        var elf = Elf(KernelBase, [new(KernelBase, Code, 0x1000), new(0x4000_0000, Code, 0x1000)]);
        Assert.Throws<BootException>(() => h.Load(elf));
        Assert.All(h.Bytes(KernelBase, 0x1000), b => Assert.Equal(0, b));
        Assert.All(h.Bytes(MemoryLayout.ZeroPage, 0x1000), b => Assert.Equal(0, b));
    }
}

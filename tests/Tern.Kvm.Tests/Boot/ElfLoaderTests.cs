using Tern.Kvm.Arch;
using Tern.Kvm.Boot;
using Tern.Kvm.Tests.Boot.Support;
using static Tern.Kvm.Tests.Boot.Support.TestImages;

namespace Tern.Kvm.Tests.Boot;

public class ElfLoaderTests
{
    [Fact]
    public void Elf_without_pvh_note_boots_through_linux64_at_e_entry_with_the_zero_page()
    {
        using var h = new BootHarness();
        var entry = h.Load(SimpleElf());
        Assert.Equal(new BootEntry(BootProtocol.Linux64, KernelBase, MemoryLayout.ZeroPage), entry);
    }

    [Fact]
    public void Elf_segments_load_at_their_physical_address_with_the_bss_zeroed()
    {
        using var h = new BootHarness();
        h.Memory.WriteSpan(KernelBase, 0x3000).Fill(0xcc); // stale bytes where the bss will be
        h.Load(SimpleElf());
        Assert.Equal(Code, h.Bytes(KernelBase, Code.Length));
        Assert.All(h.Bytes(KernelBase + (ulong)Code.Length, 0x3000 - Code.Length), b => Assert.Equal(0, b));
    }

    [Fact]
    public void Elf_with_several_segments_loads_each_of_them()
    {
        using var h = new BootHarness();
        byte[] data = [9, 8, 7, 6];
        h.Load(Elf(KernelBase, [new(KernelBase, Code, 0x1000), new(KernelBase + 0x10_0000, data, 0x1000)]));
        Assert.Equal(Code, h.Bytes(KernelBase, Code.Length));
        Assert.Equal(data, h.Bytes(KernelBase + 0x10_0000, data.Length));
    }

    [Fact]
    public void Elf_with_pvh_note_in_a_pt_note_segment_boots_through_pvh_at_the_note_entry()
    {
        using var h = new BootHarness();
        var entry = h.Load(SimpleElf(PvhNote(KernelBase + 4)));
        Assert.Equal(new BootEntry(BootProtocol.Pvh, KernelBase + 4, MemoryLayout.PvhStartInfo), entry);
    }

    [Fact]
    public void Elf_with_an_8_byte_pvh_note_in_a_note_section_boots_through_pvh()
    {
        using var h = new BootHarness();
        var entry = h.Load(Elf(KernelBase, [new(KernelBase, Code, 0x1000)], sectionNotes: PvhNote(KernelBase + 2, 8)));
        Assert.Equal(BootProtocol.Pvh, entry.Protocol);
        Assert.Equal(KernelBase + 2, entry.EntryPoint);
    }

    [Fact]
    public void Elf_with_only_other_notes_boots_through_linux64()
    {
        using var h = new BootHarness();
        var notes = Note("GNU\0"u8.ToArray(), 18, [1, 0, 0, 0]); // right type, wrong owner
        var entry = h.Load(SimpleElf(notes));
        Assert.Equal(BootProtocol.Linux64, entry.Protocol);
    }

    [Fact]
    public void Command_line_is_written_nul_terminated_at_the_command_line_address()
    {
        using var h = new BootHarness();
        h.Load(SimpleElf(), cmdline: "console=ttyS0 panic=-1");
        Assert.Equal("console=ttyS0 panic=-1", h.CString(MemoryLayout.CmdlineAddress));
    }

    [Fact]
    public void Initrd_of_an_elf_kernel_lands_page_aligned_just_below_the_default_ceiling()
    {
        using var h = new BootHarness(1UL << 30);
        var initrd = new byte[0x2345];
        Random.Shared.NextBytes(initrd);
        h.Load(SimpleElf(), initrd);
        ulong image = h.U32(MemoryLayout.ZeroPage + 0x218);
        Assert.Equal((ulong)initrd.Length, h.U32(MemoryLayout.ZeroPage + 0x21c));
        Assert.Equal(0UL, image % MemoryLayout.PageSize);
        Assert.Equal(0x3800_0000UL - 0x3000, image);
        Assert.Equal(initrd, h.Bytes(image, initrd.Length));
    }

    [Fact]
    public void Initrd_in_small_ram_ends_below_the_top_of_ram()
    {
        using var h = new BootHarness(64UL << 20);
        h.Load(SimpleElf(), new byte[0x1800]);
        Assert.Equal((64UL << 20) - 0x2000, h.U32(MemoryLayout.ZeroPage + 0x218));
    }
}

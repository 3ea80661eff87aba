using System.Buffers.Binary;

namespace Tern.Kvm.Boot;

/// <summary>
/// Finds the PVH entry point of an ELF kernel: the "Xen" note of type XEN_ELFNOTE_PHYS32_ENTRY,
/// in a PT_NOTE segment or, failing that, an SHT_NOTE section. Its value is 4 or 8 bytes and
/// must be a 32-bit physical address.
/// </summary>
internal static class PvhNote
{
    private const uint PtNote = 4;
    private const uint ShtNote = 7;
    private const uint Phys32EntryType = 18;
    private const int SectionHeaderSize = 64;

    // Notes are small; a larger note area in a hostile file is not read whole.
    private const ulong MaxNoteArea = 1 << 20;

    public static ulong? Find(BootFile file, byte[] elfHeader, IReadOnlyList<ElfSegment> segments)
    {
        foreach (var s in segments.Where(s => s.Type == PtNote))
            if (Search(file, s.Offset, s.FileSize) is { } entry) return entry;

        ulong shoff = BinaryPrimitives.ReadUInt64LittleEndian(elfHeader.AsSpan(40));
        ushort shentsize = BinaryPrimitives.ReadUInt16LittleEndian(elfHeader.AsSpan(58));
        ushort shnum = BinaryPrimitives.ReadUInt16LittleEndian(elfHeader.AsSpan(60));
        if (shoff == 0 || shnum == 0) return null;
        if (shentsize != SectionHeaderSize)
            throw new BootException($"kernel {file.Path} has section headers of {shentsize} bytes, not {SectionHeaderSize}");
        var table = file.Read(shoff, shnum * SectionHeaderSize);
        for (int i = 0; i < shnum; i++)
        {
            var section = table.AsSpan(i * SectionHeaderSize, SectionHeaderSize);
            if (BinaryPrimitives.ReadUInt32LittleEndian(section[4..]) != ShtNote) continue;
            ulong offset = BinaryPrimitives.ReadUInt64LittleEndian(section[24..]);
            ulong size = BinaryPrimitives.ReadUInt64LittleEndian(section[32..]);
            if (Search(file, offset, size) is { } entry) return entry;
        }
        return null;
    }

    private static ulong? Search(BootFile file, ulong offset, ulong size)
    {
        if (size > MaxNoteArea) throw new BootException($"kernel {file.Path} has a note area of 0x{size:x} bytes");
        return Parse(file.Read(offset, (int)size), file.Path);
    }

    /// <summary>Walks the notes in <paramref name="notes"/> and returns the PVH entry, if one is there.</summary>
    internal static ulong? Parse(ReadOnlySpan<byte> notes, string path)
    {
        while (notes.Length >= 12)
        {
            uint nameSize = BinaryPrimitives.ReadUInt32LittleEndian(notes);
            uint descSize = BinaryPrimitives.ReadUInt32LittleEndian(notes[4..]);
            uint type = BinaryPrimitives.ReadUInt32LittleEndian(notes[8..]);
            ulong namePadded = Align4(nameSize), descPadded = Align4(descSize);
            if (namePadded + descPadded > (ulong)(notes.Length - 12))
                throw new BootException($"kernel {path} has a note that runs past its note area");
            var name = notes.Slice(12, (int)nameSize);
            var desc = notes.Slice(12 + (int)namePadded, (int)descSize);
            if (type == Phys32EntryType && name.TrimEnd((byte)0).SequenceEqual("Xen"u8))
                return Entry(desc, path);
            notes = notes[(12 + (int)(namePadded + descPadded))..];
        }
        return null;
    }

    private static ulong Entry(ReadOnlySpan<byte> desc, string path)
    {
        ulong entry = desc.Length switch
        {
            4 => BinaryPrimitives.ReadUInt32LittleEndian(desc),
            8 => BinaryPrimitives.ReadUInt64LittleEndian(desc),
            _ => throw new BootException($"kernel {path} has a PVH entry note of {desc.Length} bytes"),
        };
        if (entry > uint.MaxValue) throw new BootException($"kernel {path} has a PVH entry 0x{entry:x} above 4 GiB");
        return entry;
    }

    private static ulong Align4(uint value) => ((ulong)value + 3) & ~3UL;
}

using System.Buffers.Binary;

namespace Tern.Kvm.Tests.Boot.Support;

/// <summary>A program header for <see cref="TestImages.Elf"/>: its bytes, where they load, and how much memory they span.</summary>
internal sealed record TestSegment(ulong PhysAddress, byte[] Data, ulong MemSize, uint Type = TestImages.PtLoad)
{
    /// <summary>Overrides for hostile tests: the file offset and size written into the header.</summary>
    public ulong? Offset { get; init; }
    public ulong? FileSize { get; init; }
}

/// <summary>Builds tiny kernel images byte by byte: ELF64 x86_64 files and bzImages.</summary>
internal static class TestImages
{
    public const uint PtLoad = 1;
    public const uint PtNote = 4;
    public const ulong KernelBase = 0x20_0000;

    /// <summary>An ELF64 x86_64 executable; <paramref name="sectionNotes"/> go in an SHT_NOTE section.</summary>
    public static byte[] Elf(ulong entry, IReadOnlyList<TestSegment> segments, byte[]? sectionNotes = null, ushort machine = 0x3e)
    {
        const int ehsize = 64, phsize = 56, shsize = 64;
        var data = new List<byte>();
        ulong dataStart = (ulong)(ehsize + segments.Count * phsize);
        var offsets = new List<ulong>();
        foreach (var s in segments)
        {
            offsets.Add(dataStart + (ulong)data.Count);
            data.AddRange(s.Data);
        }
        ulong notesOffset = dataStart + (ulong)data.Count;
        if (sectionNotes is not null) data.AddRange(sectionNotes);
        ulong shoff = dataStart + (ulong)data.Count;

        int shnum = sectionNotes is null ? 0 : 2;
        var image = new byte[(int)shoff + shnum * shsize];
        var span = image.AsSpan();
        span[0] = 0x7f; span[1] = (byte)'E'; span[2] = (byte)'L'; span[3] = (byte)'F';
        span[4] = 2; span[5] = 1; span[6] = 1;
        BinaryPrimitives.WriteUInt16LittleEndian(span[16..], 2); // ET_EXEC
        BinaryPrimitives.WriteUInt16LittleEndian(span[18..], machine);
        BinaryPrimitives.WriteUInt32LittleEndian(span[20..], 1);
        BinaryPrimitives.WriteUInt64LittleEndian(span[24..], entry);
        BinaryPrimitives.WriteUInt64LittleEndian(span[32..], ehsize);
        BinaryPrimitives.WriteUInt64LittleEndian(span[40..], shnum == 0 ? 0 : shoff);
        BinaryPrimitives.WriteUInt16LittleEndian(span[52..], ehsize);
        BinaryPrimitives.WriteUInt16LittleEndian(span[54..], phsize);
        BinaryPrimitives.WriteUInt16LittleEndian(span[56..], (ushort)segments.Count);
        BinaryPrimitives.WriteUInt16LittleEndian(span[58..], shsize);
        BinaryPrimitives.WriteUInt16LittleEndian(span[60..], (ushort)shnum);
        for (int i = 0; i < segments.Count; i++)
        {
            var s = segments[i];
            var ph = span.Slice(ehsize + i * phsize, phsize);
            BinaryPrimitives.WriteUInt32LittleEndian(ph, s.Type);
            BinaryPrimitives.WriteUInt32LittleEndian(ph[4..], 5);
            BinaryPrimitives.WriteUInt64LittleEndian(ph[8..], s.Offset ?? offsets[i]);
            BinaryPrimitives.WriteUInt64LittleEndian(ph[16..], 0xffff_ffff_8000_0000 + s.PhysAddress);
            BinaryPrimitives.WriteUInt64LittleEndian(ph[24..], s.PhysAddress);
            BinaryPrimitives.WriteUInt64LittleEndian(ph[32..], s.FileSize ?? (ulong)s.Data.Length);
            BinaryPrimitives.WriteUInt64LittleEndian(ph[40..], s.MemSize);
            BinaryPrimitives.WriteUInt64LittleEndian(ph[48..], 0x1000);
        }
        data.ToArray().CopyTo(span[(int)dataStart..]);
        if (sectionNotes is not null)
        {
            var note = span.Slice((int)shoff + shsize, shsize); // section 0 stays the null section
            BinaryPrimitives.WriteUInt32LittleEndian(note[4..], 7); // SHT_NOTE
            BinaryPrimitives.WriteUInt64LittleEndian(note[24..], notesOffset);
            BinaryPrimitives.WriteUInt64LittleEndian(note[32..], (ulong)sectionNotes.Length);
        }
        return image;
    }

    /// <summary>A one-segment kernel at <see cref="KernelBase"/> with a bss, entered at its start.</summary>
    public static byte[] SimpleElf(byte[]? pvhNote = null)
    {
        var segments = new List<TestSegment> { new(KernelBase, Code, 0x3000) };
        if (pvhNote is not null) segments.Add(new TestSegment(0, pvhNote, 0, PtNote));
        return Elf(KernelBase, segments);
    }

    public static readonly byte[] Code = [0xf4, 0xeb, 0xfd, 0x90, 0x11, 0x22, 0x33, 0x44];

    /// <summary>Notes: an unrelated one first, then Xen's PHYS32_ENTRY with a 4- or 8-byte value.</summary>
    public static byte[] PvhNote(ulong entry, int descSize = 4)
    {
        var notes = new List<byte>();
        notes.AddRange(Note("GNU\0"u8.ToArray(), 3, [1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15, 16, 17, 18, 19, 20]));
        var desc = new byte[descSize];
        if (descSize == 4) BinaryPrimitives.WriteUInt32LittleEndian(desc, (uint)entry);
        else BinaryPrimitives.WriteUInt64LittleEndian(desc, entry);
        notes.AddRange(Note("Xen\0"u8.ToArray(), 18, desc));
        return notes.ToArray();
    }

    public static byte[] Note(byte[] name, uint type, byte[] desc)
    {
        var w = new List<byte>();
        w.AddRange(BitConverter.GetBytes((uint)name.Length));
        w.AddRange(BitConverter.GetBytes((uint)desc.Length));
        w.AddRange(BitConverter.GetBytes(type));
        w.AddRange(name);
        while (w.Count % 4 != 0) w.Add(0);
        w.AddRange(desc);
        while (w.Count % 4 != 0) w.Add(0);
        return w.ToArray();
    }

    /// <summary>A bzImage: <paramref name="setupSects"/> setup sectors after the boot sector, then the payload.</summary>
    public static byte[] BzImage(
        byte[] payload,
        ushort version = 0x020f,
        ushort xloadflags = 0x1,
        byte setupSects = 2,
        uint initrdAddrMax = 0x7fff_ffff,
        uint cmdlineSize = 2047,
        ulong prefAddress = 0x100_0000,
        uint initSize = 0x40_0000)
    {
        int setupSize = ((setupSects == 0 ? 4 : setupSects) + 1) * 512;
        var image = new byte[setupSize + payload.Length];
        var span = image.AsSpan();
        span[0x1f1] = setupSects;
        BinaryPrimitives.WriteUInt16LittleEndian(span[0x1fe..], 0xaa55);
        span[0x200] = 0xeb; span[0x201] = 0x6a; // jmp past the header, which ends at 0x26c
        "HdrS"u8.CopyTo(span[0x202..]);
        BinaryPrimitives.WriteUInt16LittleEndian(span[0x206..], version);
        BinaryPrimitives.WriteUInt16LittleEndian(span[0x20e..], 0x1234); // kernel_version, a marker
        span[0x211] = 0x01; // LOADED_HIGH
        BinaryPrimitives.WriteUInt32LittleEndian(span[0x214..], 0x10_0000);
        BinaryPrimitives.WriteUInt32LittleEndian(span[0x22c..], initrdAddrMax);
        BinaryPrimitives.WriteUInt32LittleEndian(span[0x230..], 0x20_0000);
        span[0x234] = 1; // relocatable
        BinaryPrimitives.WriteUInt16LittleEndian(span[0x236..], xloadflags);
        BinaryPrimitives.WriteUInt32LittleEndian(span[0x238..], cmdlineSize);
        BinaryPrimitives.WriteUInt64LittleEndian(span[0x258..], prefAddress);
        BinaryPrimitives.WriteUInt32LittleEndian(span[0x260..], initSize);
        payload.CopyTo(span[setupSize..]);
        return image;
    }

    /// <summary>A payload with recognisable bytes at its start and at startup_64 (offset 0x200).</summary>
    public static byte[] BzPayload(int size = 0x3000)
    {
        var payload = new byte[size];
        for (int i = 0; i < size; i++) payload[i] = (byte)(i * 7 + 3);
        return payload;
    }
}

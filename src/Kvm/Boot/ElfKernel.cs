using System.Buffers.Binary;
using Tern.Kvm.Arch;
using Tern.Kvm.Memory;

namespace Tern.Kvm.Boot;

/// <summary>
/// Loads an ELF64 x86_64 kernel (vmlinux, or a small kernel of our own): every PT_LOAD segment at
/// its physical address with its bss zeroed. A PVH note selects the PVH entry; without one the
/// kernel is entered at e_entry through the 64-bit Linux boot protocol.
/// </summary>
internal static class ElfKernel
{
    public const int HeaderSize = 64;
    private const int ProgramHeaderSize = 56;
    private const ushort MachineX86_64 = 0x3e;
    private const byte Class64 = 2;
    private const byte LittleEndian = 1;
    private const uint PtLoad = 1;

    /// <summary>A vmlinux says nothing of its own limit: x86 Linux's.</summary>
    private const int CmdlineLimit = BootLimits.MaxCmdlineBytes;

    /// <summary>Where an ELF kernel's initrd must end by default (Linux's initrd_addr_max, plus one).</summary>
    public const ulong InitrdCeiling = 0x3800_0000;

    public static bool HasMagic(ReadOnlySpan<byte> start) =>
        start.Length >= 4 && start[0] == 0x7f && start[1] == (byte)'E' && start[2] == (byte)'L' && start[3] == (byte)'F';

    public static LoadedKernel Load(GuestMemory memory, ulong ramSize, BootFile file)
    {
        var header = file.Read(0, HeaderSize);
        if (header[4] != Class64 || header[5] != LittleEndian)
            throw Bad(file, "is not a little-endian ELF64 file");
        ushort machine = BinaryPrimitives.ReadUInt16LittleEndian(header.AsSpan(18));
        if (machine != MachineX86_64) throw Bad(file, $"is an ELF for machine {machine}, not x86_64");

        ulong entry = BinaryPrimitives.ReadUInt64LittleEndian(header.AsSpan(24));
        ulong phoff = BinaryPrimitives.ReadUInt64LittleEndian(header.AsSpan(32));
        ushort phentsize = BinaryPrimitives.ReadUInt16LittleEndian(header.AsSpan(54));
        ushort phnum = BinaryPrimitives.ReadUInt16LittleEndian(header.AsSpan(56));
        if (phnum == 0) throw Bad(file, "has no program headers");
        if (phentsize != ProgramHeaderSize) throw Bad(file, $"has program headers of {phentsize} bytes, not {ProgramHeaderSize}");

        var table = file.Read(phoff, phnum * ProgramHeaderSize);
        var segments = new List<ElfSegment>(phnum);
        for (int i = 0; i < phnum; i++)
            segments.Add(ElfSegment.Parse(table.AsSpan(i * ProgramHeaderSize, ProgramHeaderSize)));

        ulong lowest = ulong.MaxValue, end = 0;
        var loads = segments.Where(s => s.Type == PtLoad && s.MemSize > 0).ToList();
        if (loads.Count == 0) throw Bad(file, "has no loadable segment");
        foreach (var s in loads)
        {
            if (s.FileSize > s.MemSize) throw Bad(file, $"segment at 0x{s.PhysAddress:x} has file size 0x{s.FileSize:x} above its memory size 0x{s.MemSize:x}");
            if (!file.Contains(s.Offset, s.FileSize)) throw Bad(file, $"segment at 0x{s.PhysAddress:x} reads 0x{s.FileSize:x} bytes at 0x{s.Offset:x}, beyond the end of the file");
            KernelPlacement.Require(memory, ramSize, file, "segment", s.PhysAddress, s.MemSize);
            lowest = Math.Min(lowest, s.PhysAddress);
            end = Math.Max(end, s.PhysAddress + s.MemSize);
        }

        // Everything is validated before the first byte is written.
        ulong? pvhEntry = PvhNote.Find(file, header, segments);
        ulong start = pvhEntry ?? entry;
        if (!loads.Any(s => start >= s.PhysAddress && start - s.PhysAddress < s.MemSize))
            throw Bad(file, $"entry point 0x{start:x} lies outside its loadable segments");

        foreach (var s in loads)
        {
            file.CopyToGuest(memory, s.PhysAddress, s.Offset, s.FileSize);
            BootFile.ZeroGuest(memory, s.PhysAddress + s.FileSize, s.MemSize - s.FileSize);
        }

        return new LoadedKernel(
            pvhEntry is null ? BootProtocol.Linux64 : BootProtocol.Pvh,
            start,
            MemoryLayout.AlignUp(end, MemoryLayout.PageSize),
            InitrdCeiling,
            CmdlineLimit,
            SetupHeader: null);
    }

    private static BootException Bad(BootFile file, string what) => new($"kernel {file.Path} {what}");
}

/// <summary>One ELF64 program header (a class: lists of it then use the framework's precompiled shared generic code).</summary>
internal sealed record ElfSegment(uint Type, ulong Offset, ulong PhysAddress, ulong FileSize, ulong MemSize)
{
    public static ElfSegment Parse(ReadOnlySpan<byte> entry) => new(
        BinaryPrimitives.ReadUInt32LittleEndian(entry),
        BinaryPrimitives.ReadUInt64LittleEndian(entry[8..]),
        BinaryPrimitives.ReadUInt64LittleEndian(entry[24..]),
        BinaryPrimitives.ReadUInt64LittleEndian(entry[32..]),
        BinaryPrimitives.ReadUInt64LittleEndian(entry[40..]));
}

using System.Buffers.Binary;
using Tern.Kvm.Arch;
using Tern.Kvm.Memory;

namespace Tern.Kvm.Boot;

/// <summary>
/// Loads a bzImage for the 64-bit Linux boot protocol: the protected-mode part (everything after
/// the setup sectors) goes to 1 MiB and is entered at its startup_64, 0x200 bytes in. The
/// real-mode setup code is not run; its header is handed to the kernel in the zero page.
/// </summary>
internal static class BzImageKernel
{
    private const int SectorSize = 512;
    private const int DefaultSetupSects = 4;
    private const ulong Startup64Offset = 0x200;
    /// <summary>Before boot protocol 2.03 the initrd had to end below this (initrd_addr_max's old default, plus one).</summary>
    private const ulong LegacyInitrdCeiling = 0x3800_0000;
    /// <summary>Before boot protocol 2.06 the command line was limited to 255 characters.</summary>
    private const int LegacyCmdlineLimit = 255;

    /// <summary>True when <paramref name="start"/> (the file's first bytes) carries the "HdrS" setup header.</summary>
    public static bool HasMagic(ReadOnlySpan<byte> start) =>
        start.Length >= SetupHeader.Header + 4
        && BinaryPrimitives.ReadUInt32LittleEndian(start[SetupHeader.Header..]) == SetupHeader.HeaderMagic;

    public static LoadedKernel Load(GuestMemory memory, ulong ramSize, BootFile file)
    {
        var first = file.Read(0, SectorSize);
        int setupSects = first[SetupHeader.SetupSects] == 0 ? DefaultSetupSects : first[SetupHeader.SetupSects];
        int setupSize = (setupSects + 1) * SectorSize;
        var setup = file.Read(0, Math.Max(setupSize, SetupHeader.Limit));

        ushort version = U16(setup, SetupHeader.Version);
        ushort xloadflags = U16(setup, SetupHeader.XLoadFlags);
        if (version < SetupHeader.Protocol64BitEntry || (xloadflags & SetupHeader.XlfKernel64) == 0)
            throw new BootException(
                $"kernel {file.Path} has boot protocol {version >> 8}.{version & 0xff:d2} without a 64-bit entry (needs 2.12 and XLF_KERNEL_64)");

        if (file.Length <= (ulong)setupSize + Startup64Offset) throw new BootException($"kernel {file.Path} has no protected-mode part after its {setupSects} setup sectors");
        ulong payloadSize = file.Length - (ulong)setupSize;
        ulong load = MemoryLayout.HighMemoryStart;
        KernelPlacement.Require(memory, ramSize, file, "protected-mode part", load, payloadSize);

        ulong end = load + payloadSize;
        if (version >= SetupHeader.ProtocolInitSize)
        {
            // The kernel decompresses itself into init_size bytes from its preferred address.
            ulong prefAddress = Math.Max(load, BinaryPrimitives.ReadUInt64LittleEndian(setup.AsSpan(SetupHeader.PrefAddress)));
            ulong initSize = U32(setup, SetupHeader.InitSize);
            KernelPlacement.Require(memory, ramSize, file, "decompressed kernel (pref_address+init_size)", prefAddress, initSize);
            end = Math.Max(end, prefAddress + initSize);
        }

        ulong initrdCeiling = version >= SetupHeader.ProtocolInitrdAddrMax
            ? (ulong)U32(setup, SetupHeader.InitrdAddrMax) + 1
            : LegacyInitrdCeiling;
        int cmdlineLimit = version >= SetupHeader.ProtocolCmdlineSize
            ? (int)Math.Min(U32(setup, SetupHeader.CmdlineSize), int.MaxValue)
            : LegacyCmdlineLimit;

        file.CopyToGuest(memory, load, (ulong)setupSize, payloadSize);
        return new LoadedKernel(
            BootProtocol.Linux64,
            load + Startup64Offset,
            MemoryLayout.AlignUp(end, MemoryLayout.PageSize),
            initrdCeiling,
            cmdlineLimit,
            HeaderBytes(setup));
    }

    /// <summary>The setup header as the file has it: from 0x1f1 to where the jump at 0x200 says it ends.</summary>
    private static byte[] HeaderBytes(byte[] setup)
    {
        int end = Math.Min(SetupHeader.Jump + 2 + setup[SetupHeader.Jump + 1], SetupHeader.Limit);
        return setup.AsSpan(SetupHeader.Start, end - SetupHeader.Start).ToArray();
    }

    private static ushort U16(byte[] data, int offset) => BinaryPrimitives.ReadUInt16LittleEndian(data.AsSpan(offset));

    private static uint U32(byte[] data, int offset) => BinaryPrimitives.ReadUInt32LittleEndian(data.AsSpan(offset));
}

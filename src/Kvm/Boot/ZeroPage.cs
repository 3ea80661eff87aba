using System.Buffers.Binary;

namespace Tern.Kvm.Boot;

/// <summary>
/// Builds boot_params, the "zero page" the 64-bit Linux boot protocol hands the kernel in rsi:
/// the setup header (the bzImage's own, or a minimal one for a vmlinux, as Firecracker and Cloud
/// Hypervisor fill it), the command line and initrd, the RSDP and the e820 map.
/// </summary>
internal static class ZeroPage
{
    public static byte[] Build(
        LoadedKernel kernel,
        ulong cmdlineAddress,
        int cmdlineLength,
        InitrdLocation? initrd,
        ulong rsdpAddress,
        IReadOnlyList<E820Entry> e820)
    {
        var page = new byte[SetupHeader.ZeroPageSize];
        var span = page.AsSpan();
        if (kernel.SetupHeader is { } header)
        {
            header.CopyTo(span[SetupHeader.Start..]);
            span[SetupHeader.LoadFlags] |= SetupHeader.LoadedHigh | SetupHeader.CanUseHeap;
            U16(span, SetupHeader.HeapEndPtr, SetupHeader.HeapEnd);
        }
        else
        {
            U16(span, SetupHeader.BootFlag, SetupHeader.BootFlagMagic);
            U32(span, SetupHeader.Header, SetupHeader.HeaderMagic);
            U32(span, SetupHeader.KernelAlignment, SetupHeader.VmlinuxAlignment);
            U32(span, SetupHeader.CmdlineSize, (uint)cmdlineLength);
        }
        span[SetupHeader.TypeOfLoader] = SetupHeader.LoaderUndefined;
        U32(span, SetupHeader.CmdLinePtr, checked((uint)cmdlineAddress));
        if (initrd is { } rd)
        {
            U32(span, SetupHeader.RamdiskImage, checked((uint)rd.Address));
            U32(span, SetupHeader.RamdiskSize, checked((uint)rd.Size));
        }
        BinaryPrimitives.WriteUInt64LittleEndian(span[SetupHeader.AcpiRsdpAddr..], rsdpAddress);

        if (e820.Count > SetupHeader.E820MaxEntries)
            throw new BootException($"the e820 map has {e820.Count} entries, more than the zero page's {SetupHeader.E820MaxEntries}");
        span[SetupHeader.E820Entries] = (byte)e820.Count;
        for (int i = 0; i < e820.Count; i++)
        {
            var entry = span.Slice(SetupHeader.E820Table + i * SetupHeader.E820EntrySize, SetupHeader.E820EntrySize);
            BinaryPrimitives.WriteUInt64LittleEndian(entry, e820[i].Address);
            BinaryPrimitives.WriteUInt64LittleEndian(entry[8..], e820[i].Size);
            BinaryPrimitives.WriteUInt32LittleEndian(entry[16..], (uint)e820[i].Type);
        }
        return page;
    }

    private static void U16(Span<byte> page, int offset, ushort value) => BinaryPrimitives.WriteUInt16LittleEndian(page[offset..], value);

    private static void U32(Span<byte> page, int offset, uint value) => BinaryPrimitives.WriteUInt32LittleEndian(page[offset..], value);
}

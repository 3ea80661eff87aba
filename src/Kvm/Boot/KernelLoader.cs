using Tern.Kvm.Arch;
using Tern.Kvm.Boot.Acpi;
using Tern.Kvm.Boot.Mp;
using Tern.Kvm.Memory;

namespace Tern.Kvm.Boot;

/// <summary>
/// Puts a kernel and everything it expects to find into guest RAM: the image (ELF, with or
/// without a PVH note, or bzImage), the initrd, the command line, the MP and ACPI tables, and the
/// zero page or hvm_start_info with the e820 map. vCPU registers are the caller's business; it
/// gets back where to start.
/// </summary>
public static class KernelLoader
{
    public static BootEntry Load(GuestMemory memory, BootSpec spec)
    {
        if (spec.Vcpus is < 1 or > BootLimits.MaxVcpus)
            throw new BootException($"vCPU count {spec.Vcpus} is outside 1-{BootLimits.MaxVcpus}");
        var e820 = E820Map.Build(spec.RamSize);

        var kernel = LoadKernel(memory, spec);
        InitrdLocation? initrd = spec.InitrdPath is null ? null : Initrd.Load(memory, spec.RamSize, kernel, spec.InitrdPath);
        int cmdlineLength = CommandLine.Write(memory, spec.Cmdline, kernel.CmdlineLimit);

        // With more vCPUs than the EBDA's MP table holds, ACPI's MADT alone describes them
        // (Linux prefers the MADT whenever ACPI is on).
        if (spec.Vcpus <= MpTable.MaxVcpus) MpTable.Write(memory, spec.Vcpus);
        ulong rsdp = AcpiTables.Write(memory, spec.Vcpus, spec.RamSize);

        if (kernel.Protocol == BootProtocol.Pvh)
        {
            PvhStartInfo.Write(memory, MemoryLayout.CmdlineAddress, rsdp, initrd, e820);
            return new BootEntry(BootProtocol.Pvh, kernel.Entry, MemoryLayout.PvhStartInfo);
        }
        var zeroPage = ZeroPage.Build(kernel, MemoryLayout.CmdlineAddress, cmdlineLength, initrd, rsdp, e820);
        memory.Write(MemoryLayout.ZeroPage, zeroPage);
        return new BootEntry(BootProtocol.Linux64, kernel.Entry, MemoryLayout.ZeroPage);
    }

    private static LoadedKernel LoadKernel(GuestMemory memory, BootSpec spec)
    {
        using var file = BootFile.Open(spec.KernelPath, "kernel");
        var start = file.Read(0, (int)Math.Min(file.Length, 0x400));
        if (ElfKernel.HasMagic(start)) return ElfKernel.Load(memory, spec.RamSize, file);
        if (BzImageKernel.HasMagic(start)) return BzImageKernel.Load(memory, spec.RamSize, file);
        throw new BootException($"kernel {spec.KernelPath} is neither an ELF nor a bzImage");
    }
}

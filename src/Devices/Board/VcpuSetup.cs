using Tern.Devices.Config;
using Tern.Kvm;
using Tern.Kvm.Arch;
using Tern.Kvm.Boot;
using Tern.Kvm.Memory;

namespace Tern.Devices.Board;

/// <summary>Creates the vCPUs with their CPUID, MSRs, FPU and LAPIC, and puts the boot vCPU at the kernel entry.</summary>
internal static class VcpuSetup
{
    public static Vcpu[] Create(KvmSystem kvm, Vm vm, GuestMemory memory, VmConfig config, BootEntry entry)
    {
        var supported = kvm.GetSupportedCpuid();
        var hidden = HiddenFeatureBits(config.Cpu);
        bool longMode = entry.Protocol == BootProtocol.Linux64;
        BootCpuState.WriteTables(memory, longMode);

        var vcpus = new Vcpu[config.Vcpus];
        for (int id = 0; id < vcpus.Length; id++)
        {
            var vcpu = vcpus[id] = vm.CreateVcpu(id);
            vcpu.SetCpuid(CpuidBuilder.Build(supported, id, config.Vcpus, hidden, vcpu.GetTscKhz()));
            vcpu.SetMsrs(BootCpuState.BootMsrs);
            vcpu.SetDefaultFpu();
            var lapic = vcpu.GetLapic();
            BootCpuState.WireLapicLints(lapic);
            vcpu.SetLapic(lapic);
            if (id != 0) continue; // application processors wait for INIT/SIPI in the in-kernel LAPIC
            vcpu.SetSregs(BootCpuState.Sregs(vcpu.GetSregs(), longMode));
            vcpu.SetRegs(BootCpuState.Regs(longMode, entry.EntryPoint, entry.BootInfoAddress));
        }
        return vcpus;
    }

    private static List<CpuidFeatureBit> HiddenFeatureBits(CpuConfig cpu)
    {
        var bits = new List<CpuidFeatureBit>();
        foreach (var name in cpu.HiddenFeatures)
            if (CpuidFeatureNames.TryResolve(name, out _, out var resolved)) bits.AddRange(resolved);
            else throw new MachineException($"unknown CPU feature '{name}'");
        return bits;
    }
}

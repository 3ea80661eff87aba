using Tern.Kvm.Arch;
using Tern.Kvm.Interop;
using Tern.Kvm.Memory;

namespace Tern.Kvm.Tests.State;

/// <summary>
/// A small VM built the way the machine builds one (TSS, irqchip, PIT, RAM, vCPUs with CPUID, boot
/// MSRs, FPU and LAPIC LINTs). With code, vCPU 0 starts in long mode at 1 MiB (identity-mapped low
/// 4 GiB, ring 0). <see cref="CloneOf"/> makes the destination of a migration: same configuration,
/// a copy of the source's RAM, vCPUs left at reset for a restore.
/// </summary>
internal sealed class StateTestVm : IDisposable
{
    public const ulong CodeAddress = 0x100000;
    private const int TscDeadlineBit = 24; // CPUID.1:ECX

    private StateTestVm(ulong ramBytes, int vcpus)
    {
        Kvm = new KvmSystem();
        Vm = Kvm.CreateVm();
        Vm.SetIdentityMapAddress(MemoryLayout.IdentityMapAddress);
        Vm.SetTssAddress(MemoryLayout.TssAddress);
        Vm.CreateIrqchip();
        Vm.CreatePit();
        Memory = GuestMemory.ForRamSize(ramBytes);
        Vm.MapMemory(Memory);
        var supported = Kvm.GetSupportedCpuid();
        Vcpus = new Vcpu[vcpus];
        for (int id = 0; id < vcpus; id++)
        {
            var vcpu = Vcpus[id] = Vm.CreateVcpu(id);
            var cpuid = CpuidBuilder.Build(supported, id, vcpus, []);
            for (int i = 0; i < cpuid.Length; i++)
                if (cpuid[i].function == 1) cpuid[i].ecx |= 1u << TscDeadlineBit; // KVM emulates it; guests look for it
            vcpu.SetCpuid(cpuid);
            vcpu.SetMsrs(BootCpuState.BootMsrs);
            vcpu.SetDefaultFpu();
            var lapic = vcpu.GetLapic();
            BootCpuState.WireLapicLints(lapic);
            vcpu.SetLapic(lapic);
        }
    }

    public KvmSystem Kvm { get; }
    public Vm Vm { get; }
    public GuestMemory Memory { get; }
    public Vcpu[] Vcpus { get; }
    public Vcpu Vcpu => Vcpus[0];

    public static StateTestVm WithCode(byte[] code, ulong ramBytes = 16 << 20, int vcpus = 1)
    {
        var vm = new StateTestVm(ramBytes, vcpus);
        BootCpuState.WriteTables(vm.Memory, longMode: true);
        vm.Memory.Write(CodeAddress, code);
        vm.Vcpu.SetSregs(BootCpuState.Sregs(vm.Vcpu.GetSregs(), longMode: true));
        vm.Vcpu.SetRegs(BootCpuState.Regs(longMode: true, entry: CodeAddress, bootInfo: 0));
        return vm;
    }

    public static StateTestVm Empty(ulong ramBytes = 16 << 20, int vcpus = 1) => new(ramBytes, vcpus);

    public static StateTestVm CloneOf(StateTestVm source)
    {
        var clone = new StateTestVm(source.Memory.TotalSize, source.Vcpus.Length);
        foreach (var region in source.Memory.Regions)
            clone.Memory.Write(region.Start, source.Memory.ReadSpan(region.Start, checked((int)region.Size)));
        return clone;
    }

    /// <summary>Runs vCPU 0 on its own thread for about <paramref name="duration"/>, then kicks it out.</summary>
    public void RunFor(TimeSpan duration)
    {
        var run = Task.Factory.StartNew(Vcpu.Run, TaskCreationOptions.LongRunning);
        Thread.Sleep(duration);
        Vcpu.Kick();
        Assert.True(run.Wait(TimeSpan.FromSeconds(10)), "vCPU did not leave KVM_RUN after the kick");
        Assert.Equal(KvmExit.Intr, run.Result);
    }

    public void Dispose()
    {
        foreach (var v in Vcpus) v.Dispose();
        Vm.Dispose();
        Memory.Dispose();
        Kvm.Dispose();
    }
}

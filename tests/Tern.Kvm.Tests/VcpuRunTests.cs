using Tern.Kvm.Arch;
using Tern.Kvm.Memory;

namespace Tern.Kvm.Tests;

public class VcpuRunTests
{
    [KvmFact]
    public void Vcpu_in_long_mode_exits_on_port_write_with_the_guest_value()
    {
        using var kvm = new KvmSystem();
        using var vm = kvm.CreateVm();
        vm.SetTssAddress(MemoryLayout.TssAddress);
        vm.CreateIrqchip();
        using var memory = GuestMemory.ForRamSize(16 << 20);
        vm.MapMemory(memory);
        using var vcpu = vm.CreateVcpu(0);
        vcpu.SetCpuid(CpuidBuilder.Build(kvm.GetSupportedCpuid(), 0, 1, []));
        BootCpuState.WriteTables(memory, longMode: true);
        // mov al, 0x5a; out 0x80, al; mov eax, 0x1234; out 0x84, eax; hlt-loop via jmp $
        byte[] code = [0xb0, 0x5a, 0xe6, 0x80, 0xb8, 0x34, 0x12, 0, 0, 0xe7, 0x84, 0xeb, 0xfe];
        memory.Write(0x100000, code);
        vcpu.SetSregs(BootCpuState.Sregs(vcpu.GetSregs(), longMode: true));
        vcpu.SetRegs(BootCpuState.Regs(longMode: true, entry: 0x100000, bootInfo: 0));

        Assert.Equal(KvmExit.Io, vcpu.Run());
        Assert.True(vcpu.IoIsOut);
        Assert.Equal(0x80, vcpu.IoPort);
        Assert.Equal(0x5a, vcpu.IoData[0]);

        Assert.Equal(KvmExit.Io, vcpu.Run());
        Assert.Equal(0x84, vcpu.IoPort);
        Assert.Equal(4, vcpu.IoSize);
        Assert.Equal(0x1234u, BitConverter.ToUInt32(vcpu.IoData));
    }

    [KvmFact]
    public void Kick_pulls_a_spinning_vcpu_out_of_the_guest()
    {
        using var kvm = new KvmSystem();
        using var vm = kvm.CreateVm();
        vm.SetTssAddress(MemoryLayout.TssAddress);
        vm.CreateIrqchip();
        using var memory = GuestMemory.ForRamSize(16 << 20);
        vm.MapMemory(memory);
        using var vcpu = vm.CreateVcpu(0);
        vcpu.SetCpuid(CpuidBuilder.Build(kvm.GetSupportedCpuid(), 0, 1, []));
        BootCpuState.WriteTables(memory, longMode: true);
        memory.Write(0x100000, [0xeb, 0xfe]); // jmp $
        vcpu.SetSregs(BootCpuState.Sregs(vcpu.GetSregs(), longMode: true));
        vcpu.SetRegs(BootCpuState.Regs(longMode: true, entry: 0x100000, bootInfo: 0));

        var exit = Task.Run(vcpu.Run);
        Thread.Sleep(200);
        Assert.False(exit.IsCompleted);
        vcpu.Kick();
        Assert.True(exit.Wait(TimeSpan.FromSeconds(5)), "vCPU did not leave KVM_RUN after the kick");
        Assert.Equal(KvmExit.Intr, exit.Result);
    }
}

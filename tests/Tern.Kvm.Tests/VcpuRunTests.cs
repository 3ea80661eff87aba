using Tern.Kvm.Arch;
using Tern.Kvm.Memory;

namespace Tern.Kvm.Tests;

public class VcpuRunTests
{
    [KvmFact]
    public void Vcpu_in_long_mode_exits_on_port_write_with_the_guest_value()
    {
        // mov al, 0x5a; out 0x80, al; mov eax, 0x1234; out 0x84, eax; jmp $
        using var guest = new LongModeGuest([0xb0, 0x5a, 0xe6, 0x80, 0xb8, 0x34, 0x12, 0, 0, 0xe7, 0x84, 0xeb, 0xfe]);
        var vcpu = guest.Vcpu;

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
        using var guest = new LongModeGuest([0xeb, 0xfe]); // jmp $
        var vcpu = guest.Vcpu;

        var exit = Task.Run(vcpu.Run);
        Thread.Sleep(200);
        Assert.False(exit.IsCompleted);
        vcpu.Kick();
        Assert.True(exit.Wait(TimeSpan.FromSeconds(5)), "vCPU did not leave KVM_RUN after the kick");
        Assert.Equal(KvmExit.Intr, exit.Result);
    }
}

/// <summary>One vCPU in long mode at 1 MiB running the given machine code, with 16 MiB of RAM.</summary>
internal sealed class LongModeGuest : IDisposable
{
    private readonly KvmSystem _kvm = new();
    private readonly Vm _vm;
    private readonly GuestMemory _memory = GuestMemory.ForRamSize(16 << 20);

    public LongModeGuest(byte[] code)
    {
        _vm = _kvm.CreateVm();
        _vm.SetTssAddress(MemoryLayout.TssAddress);
        _vm.CreateIrqchip();
        _vm.MapMemory(_memory);
        Vcpu = _vm.CreateVcpu(0);
        Vcpu.SetCpuid(CpuidBuilder.Build(_kvm.GetSupportedCpuid(), 0, 1, []));
        BootCpuState.WriteTables(_memory, longMode: true);
        _memory.Write(0x100000, code);
        Vcpu.SetSregs(BootCpuState.Sregs(Vcpu.GetSregs(), longMode: true));
        Vcpu.SetRegs(BootCpuState.Regs(longMode: true, entry: 0x100000, bootInfo: 0));
    }

    public Vcpu Vcpu { get; }

    public void Dispose()
    {
        Vcpu.Dispose();
        _vm.Dispose();
        _memory.Dispose();
        _kvm.Dispose();
    }
}

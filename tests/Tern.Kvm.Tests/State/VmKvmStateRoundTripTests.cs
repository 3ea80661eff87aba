using System.Runtime.InteropServices;
using Tern.Kvm.Interop;
using Tern.Kvm.State;

namespace Tern.Kvm.Tests.State;

public class VmKvmStateRoundTripTests
{
    private const int IoapicRedirectionPin = 4;
    private const ulong RedirectionMaskedVector0x24 = 0x0001_0024;

    [KvmFact]
    public void Irqchip_pit_and_clock_carry_over_to_a_fresh_vm_and_the_clock_does_not_go_back()
    {
        using var source = StateTestVm.Empty();
        ProgramDevices(source.Vm);
        // The source's kvmclock well ahead of any fresh VM's (which may start near the host's), so
        // a clock that was not restored cannot pass for one that was.
        var ahead = source.Vm.GetClock();
        ahead.clock += 60_000_000_000UL;
        source.Vm.SetClock(ahead);
        var saved = VmKvmState.Save(source.Vm);

        using var destination = StateTestVm.CloneOf(source);
        ulong freshClock = destination.Vm.GetClock().clock;
        Assert.True(freshClock < saved.Clock.clock, "a fresh VM's clock should start behind the source's");
        VmKvmState.Restore(destination.Vm, saved);
        var restored = VmKvmState.Save(destination.Vm);

        Assert.Equal(saved.PicMaster, restored.PicMaster);
        Assert.Equal(saved.PicSlave, restored.PicSlave);
        Assert.Equal(saved.Ioapic, restored.Ioapic);
        AssertSameChannel(saved.Pit.channel0, restored.Pit.channel0);
        AssertSameChannel(saved.Pit.channel1, restored.Pit.channel1);
        AssertSameChannel(saved.Pit.channel2, restored.Pit.channel2);
        Assert.Equal(saved.Pit.flags, restored.Pit.flags);
        Assert.InRange(restored.Clock.clock, saved.Clock.clock, saved.Clock.clock + 1_000_000_000UL);

        Assert.Equal(0xfau, restored.PicMasterState.imr);
        Assert.Equal(0x1234u, restored.Pit.channel0.count);
        Assert.Equal(RedirectionMaskedVector0x24, restored.IoapicState.Redirection(IoapicRedirectionPin));
    }

    /// <summary>Puts values a guest would program into the PIC, IOAPIC and PIT (none is the reset value).</summary>
    private static void ProgramDevices(Vm vm)
    {
        var pic = new byte[VmKvmState.ChipSize];
        vm.GetIrqchip(VmKvmState.PicMasterId, pic);
        ref var master = ref MemoryMarshal.AsRef<kvm_pic_state>(pic.AsSpan());
        master.imr = 0xfa;
        master.irq_base = 0x20;
        vm.SetIrqchip(VmKvmState.PicMasterId, pic);

        var ioapicBytes = new byte[VmKvmState.ChipSize];
        vm.GetIrqchip(VmKvmState.IoapicId, ioapicBytes);
        ref var ioapic = ref MemoryMarshal.AsRef<kvm_ioapic_state>(ioapicBytes.AsSpan());
        ioapic.SetRedirection(IoapicRedirectionPin, RedirectionMaskedVector0x24);
        vm.SetIrqchip(VmKvmState.IoapicId, ioapicBytes);

        var pit = vm.GetPit2();
        pit.channel0.count = 0x1234;
        pit.channel0.mode = 2;
        pit.channel0.rw_mode = 3;
        vm.SetPit2(pit);
    }

    private static void AssertSameChannel(kvm_pit_channel_state expected, kvm_pit_channel_state actual)
    {
        expected.count_load_time = actual.count_load_time = 0; // KVM restarts the counter at restore time
        Assert.Equal(expected, actual);
    }
}

internal static class IoapicStateExtensions
{
    public static unsafe ulong Redirection(this kvm_ioapic_state state, int pin) => state.redirtbl[pin];

    public static unsafe void SetRedirection(ref this kvm_ioapic_state state, int pin, ulong value) => state.redirtbl[pin] = value;
}

using Tern.Kvm.Interop;

namespace Tern.Kvm.State;

public sealed partial record VmKvmState
{
    /// <summary>Reads the irqchip, PIT and kvmclock. Every vCPU must be stopped (the clock is read last).</summary>
    public static VmKvmState Save(Vm vm)
    {
        var state = new VmKvmState
        {
            PicMaster = ReadChip(vm, PicMasterId),
            PicSlave = ReadChip(vm, PicSlaveId),
            Ioapic = ReadChip(vm, IoapicId),
            Pit = vm.GetPit2(),
            Clock = vm.GetClock(),
        };
        state.Validate();
        return state;
    }

    private static byte[] ReadChip(Vm vm, uint id)
    {
        var chip = new byte[ChipSize];
        vm.GetIrqchip(id, chip);
        return chip;
    }

    /// <summary>
    /// Puts the state into the destination VM, which has its irqchip and PIT and whose vCPUs were
    /// restored already (so an interrupt the PIT or IOAPIC raises lands on a restored LAPIC rather
    /// than being overwritten by it), just before the vCPUs resume. Validates everything first.
    /// kvmclock is set to the saved value with no flags: KVM_CLOCK_REALTIME would advance it by the
    /// wall time that passed since the save and older kernels reject every flag, so the guest's
    /// clock continues from where it stopped, neither jumping back nor across the downtime.
    /// </summary>
    public static void Restore(Vm vm, VmKvmState state)
    {
        state.Validate();
        vm.SetIrqchip(PicMasterId, state.PicMaster);
        vm.SetIrqchip(PicSlaveId, state.PicSlave);
        vm.SetIrqchip(IoapicId, state.Ioapic);
        vm.SetPit2(state.Pit);
        vm.SetClock(new kvm_clock_data { clock = state.Clock.clock });
    }
}

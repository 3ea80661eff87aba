using Tern.Devices.Interrupts;
using Tern.Kvm;

namespace Tern.Devices.Board;

/// <summary>An ISA pin of the in-kernel PIC/IOAPIC, pulsed for an edge (the 8250's IRQ 4).</summary>
internal sealed class KvmEdgeLine(Vm vm, uint gsi) : IInterruptLine
{
    public void Trigger()
    {
        vm.SetIrqLine(gsi, true);
        vm.SetIrqLine(gsi, false);
    }
}

/// <summary>A level-triggered pin of the in-kernel irqchip (the ACPI SCI on GSI 9).</summary>
internal sealed class KvmLevelLine(Vm vm, uint gsi) : ILevelInterruptLine
{
    public void SetLevel(bool asserted) => vm.SetIrqLine(gsi, asserted);
}

/// <summary>MSI delivery with KVM_SIGNAL_MSI.</summary>
internal sealed class KvmMsiSink(Vm vm) : IMsiSink
{
    public void Send(ulong address, uint data) => vm.SignalMsi(address, data);
}

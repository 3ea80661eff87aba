namespace Tern.Devices.Interrupts;

/// <summary>An edge-triggered interrupt into the guest (an ISA IRQ pin or an MSI vector behind irqfd).</summary>
public interface IInterruptLine
{
    void Trigger();
}

/// <summary>A level-triggered pin (the ACPI SCI): asserted while the device has a reason.</summary>
public interface ILevelInterruptLine
{
    void SetLevel(bool asserted);
}

/// <summary>Delivers a message-signalled interrupt (address/data as the guest programmed them).</summary>
public interface IMsiSink
{
    void Send(ulong address, uint data);
}

using Tern.Devices.Bus;
using Tern.Devices.Interrupts;
using Tern.Devices.Legacy.Acpi;
using Tern.Devices.Legacy.Keyboard;
using Tern.Devices.Legacy.Rtc;
using Tern.Devices.Legacy.Serial;
using Tern.Kvm;
using Tern.Kvm.Arch;

namespace Tern.Devices.Board;

/// <summary>
/// The PC platform devices on the port bus: COM1, the i8042, the CMOS/RTC and the ACPI PM block.
/// Restoring saved state builds each device anew from its state and puts it where the old one was.
/// </summary>
internal sealed class LegacyDevices(DeviceBus io, IInterruptLine serialIrq, IInterruptLine keyboardIrq,
    ILevelInterruptLine sci, ISerialSink serialSink, Action<MachinePowerEvent> onPower)
{
    public Serial8250 Serial { get; private set; } = null!;
    public I8042 Keyboard { get; private set; } = null!;
    public Cmos Cmos { get; private set; } = null!;
    public AcpiPm Pm { get; private set; } = null!;

    public static LegacyDevices Create(Vm vm, DeviceBus io, ulong ramBytes, ISerialSink serialSink, Action<MachinePowerEvent> onPower)
    {
        var devices = new LegacyDevices(io, new KvmEdgeLine(vm, PcIoPorts.Com1Irq), new KvmEdgeLine(vm, I8042.KeyboardIrq),
            new KvmLevelLine(vm, AcpiPmLayout.SciIrq), serialSink, onPower);
        devices.PlaceNew(ramBytes);
        return devices;
    }

    private void PlaceNew(ulong ramBytes) => Place(
        new Serial8250(serialIrq, serialSink),
        new I8042(OnKeyboardReset, keyboardIrq),
        Cmos.ForRamSize(ramBytes),
        new AcpiPm(sci, OnPowerOff));

    private void OnKeyboardReset() => onPower(MachinePowerEvent.Reset);

    private void OnPowerOff() => onPower(MachinePowerEvent.PowerOff);

    private void Place(Serial8250 serial, I8042 keyboard, Cmos cmos, AcpiPm pm)
    {
        if (Serial is not null)
            foreach (ulong port in new ulong[] { PcIoPorts.Com1Base, I8042.DataPortAddress, I8042.CommandPortAddress, Cmos.BasePort, AcpiPmLayout.BasePort })
                io.Remove(port);
        (Serial, Keyboard, Cmos, Pm) = (serial, keyboard, cmos, pm);
        io.Insert(serial, PcIoPorts.Com1Base, PcIoPorts.Com1Length);
        io.Insert(keyboard.DataPort, I8042.DataPortAddress, 1);
        io.Insert(keyboard.CommandPort, I8042.CommandPortAddress, 1);
        io.Insert(cmos, Cmos.BasePort, Cmos.PortCount);
        io.Insert(pm, AcpiPmLayout.BasePort, AcpiPmLayout.Length);
    }

    public LegacyState Save() => new(Serial.Save(), Keyboard.Save(), Cmos.Save(), Pm.Save());

    /// <summary>Replaces every device with one built from <paramref name="state"/>; throws DeviceStateException on bad state.</summary>
    public void Restore(LegacyState state) => Place(
        Serial8250.Restore(state.Serial, serialIrq, serialSink),
        I8042.Restore(state.Keyboard, OnKeyboardReset, keyboardIrq),
        Cmos.Restore(state.Cmos),
        AcpiPm.Restore(state.Pm, sci, OnPowerOff));
}

/// <summary>The saved state of the legacy devices, moved as one component.</summary>
public sealed record LegacyState(Serial8250State Serial, I8042State Keyboard, CmosState Cmos, AcpiPmState Pm);

/// <summary>A serial sink that discards output (-serial none).</summary>
internal sealed class NullSerialSink : ISerialSink
{
    public void Write(ReadOnlySpan<byte> bytes)
    {
    }
}

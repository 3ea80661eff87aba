using Tern.Devices.Bus;
using Tern.Devices.Legacy.Acpi;
using Tern.Devices.Legacy.Keyboard;
using Tern.Devices.Legacy.Rtc;
using Tern.Devices.Legacy.Serial;
using Tern.Kvm;

namespace Tern.Devices.Board;

/// <summary>The PC platform devices on the port bus: COM1, the i8042, the CMOS/RTC and the ACPI PM block.</summary>
internal sealed class LegacyDevices
{
    public required Serial8250 Serial { get; init; }
    public required I8042 Keyboard { get; init; }
    public required Cmos Cmos { get; init; }
    public required AcpiPm Pm { get; init; }

    public static LegacyDevices Create(Vm vm, DeviceBus io, ulong ramBytes, ISerialSink serialSink, Action<MachinePowerEvent> onPower)
    {
        var devices = new LegacyDevices
        {
            Serial = new Serial8250(new KvmEdgeLine(vm, Serial8250.Com1Irq), serialSink),
            Keyboard = new I8042(() => onPower(MachinePowerEvent.Reset), new KvmEdgeLine(vm, I8042.KeyboardIrq)),
            Cmos = Cmos.ForRamSize(ramBytes),
            Pm = new AcpiPm(new KvmLevelLine(vm, AcpiPmLayout.SciIrq), () => onPower(MachinePowerEvent.PowerOff)),
        };
        io.Insert(devices.Serial, Serial8250.Com1BasePort, Serial8250.PortCount);
        io.Insert(devices.Keyboard.DataPort, I8042.DataPortAddress, 1);
        io.Insert(devices.Keyboard.CommandPort, I8042.CommandPortAddress, 1);
        io.Insert(devices.Cmos, 0x70, 2);
        io.Insert(devices.Pm, AcpiPmLayout.BasePort, AcpiPmLayout.Length);
        return devices;
    }
}

/// <summary>A serial sink that discards output (-serial none).</summary>
internal sealed class NullSerialSink : ISerialSink
{
    public void Write(ReadOnlySpan<byte> bytes)
    {
    }
}

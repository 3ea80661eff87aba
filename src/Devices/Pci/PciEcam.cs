using Tern.Devices.Bus;

namespace Tern.Devices.Pci;

/// <summary>
/// PCI Express enhanced configuration access (ECAM): each function's 4 KiB space is memory-mapped
/// at bus &lt;&lt; 20 | device &lt;&lt; 15 | function &lt;&lt; 12 inside the window.
/// </summary>
public sealed class PciEcam(PciRoot root) : IBusDevice
{
    public void Read(ulong offset, Span<byte> data)
    {
        Decode(offset, out int bus, out int slot, out int function, out int register);
        root.ReadConfig(bus, slot, function, register, data);
    }

    public void Write(ulong offset, ReadOnlySpan<byte> data)
    {
        Decode(offset, out int bus, out int slot, out int function, out int register);
        root.WriteConfig(bus, slot, function, register, data);
    }

    private static void Decode(ulong offset, out int bus, out int slot, out int function, out int register)
    {
        bus = (int)(offset >> 20) & 0xff;
        slot = (int)(offset >> 15) & 0x1f;
        function = (int)(offset >> 12) & 0x7;
        register = (int)(offset & 0xfff);
    }
}

using System.Buffers.Binary;
using Tern.Devices.Bus;
using Tern.Kvm.Arch;
using Tern.Kvm.Boot.Acpi;

namespace Tern.Devices.Pci;

/// <summary>
/// Configuration mechanism #1 on ports 0xCF8..0xCFF (<see cref="Tern.Kvm.Arch.PcIoPorts"/>): a dword
/// CONFIG_ADDRESS at 0xCF8 (enable bit 31, bus, device, function, register) and the data window at 0xCFC..0xCFF. The byte at 0xCF9 is
/// q35's reset control register: a write with RST_CPU (bit 2) set resets the machine.
/// </summary>
public sealed class PciConfigPorts(PciRoot root, Action onReset) : IBusDevice
{
    private const ulong ResetControlOffset = AcpiFixedHardware.ResetPort - PcIoPorts.PciConfigBase; // the FADT's reset register
    private const ulong DataOffset = 4;         // ports 0xCFC..0xCFF
    private const uint AddressEnable = 0x8000_0000;
    private const uint AddressWritable = 0x80ff_fffc;
    private const byte ResetCpu = 0x04;
    private const byte ResetControlKept = 0x0a; // SYS_RST and FULL_RST stick; RST_CPU is an action

    private uint _address;
    private byte _resetControl;

    public void Read(ulong offset, Span<byte> data)
    {
        if (offset == 0 && data.Length == 4)
            BinaryPrimitives.WriteUInt32LittleEndian(data, Volatile.Read(ref _address));
        else if (offset == ResetControlOffset && data.Length == 1)
            data[0] = _resetControl;
        else if (offset >= DataOffset && TryDecode(offset, out int bus, out int slot, out int function, out int register))
            root.ReadConfig(bus, slot, function, register, data);
        else
            data.Fill(0xff);
    }

    public void Write(ulong offset, ReadOnlySpan<byte> data)
    {
        if (offset == 0 && data.Length == 4)
        {
            Volatile.Write(ref _address, BinaryPrimitives.ReadUInt32LittleEndian(data) & AddressWritable);
        }
        else if (offset == ResetControlOffset && data.Length == 1)
        {
            _resetControl = (byte)(data[0] & ResetControlKept);
            if ((data[0] & ResetCpu) != 0) onReset();
        }
        else if (offset >= DataOffset && TryDecode(offset, out int bus, out int slot, out int function, out int register))
        {
            root.WriteConfig(bus, slot, function, register, data);
        }
    }

    private bool TryDecode(ulong offset, out int bus, out int slot, out int function, out int register)
    {
        uint address = Volatile.Read(ref _address);
        bus = (int)(address >> 16) & 0xff;
        slot = (int)(address >> 11) & 0x1f;
        function = (int)(address >> 8) & 0x7;
        register = (int)(address & 0xfc) + (int)(offset - DataOffset);
        return (address & AddressEnable) != 0;
    }
}

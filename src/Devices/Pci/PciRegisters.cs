namespace Tern.Devices.Pci;

/// <summary>Offsets and bits of the type-0 PCI configuration header (PCI Local Bus 3.0, 6.1).</summary>
public static class PciRegisters
{
    public const int VendorId = 0x00;
    public const int DeviceId = 0x02;
    public const int Command = 0x04;
    public const int Status = 0x06;
    public const int Revision = 0x08;
    public const int ClassCode = 0x09; // prog-if, subclass, class: three bytes
    public const int CacheLineSize = 0x0c;
    public const int LatencyTimer = 0x0d;
    public const int HeaderType = 0x0e;
    public const int Bar0 = 0x10;
    public const int SubsystemVendorId = 0x2c;
    public const int SubsystemId = 0x2e;
    public const int ExpansionRom = 0x30;
    public const int CapabilitiesPointer = 0x34;
    public const int InterruptLine = 0x3c;
    public const int InterruptPin = 0x3d;

    /// <summary>Where the capability list starts: right after the standard header.</summary>
    public const int FirstCapability = 0x40;
    /// <summary>The end of the legacy 256-byte space (capabilities live below it).</summary>
    public const int LegacySize = 0x100;
    public const int BarCount = 6;

    public const ushort CommandIo = 1 << 0;
    public const ushort CommandMemory = 1 << 1;
    public const ushort CommandBusMaster = 1 << 2;
    public const ushort CommandParityResponse = 1 << 6;
    public const ushort CommandSerr = 1 << 8;
    public const ushort CommandIntxDisable = 1 << 10;
    public const ushort CommandWritable = CommandIo | CommandMemory | CommandBusMaster | CommandParityResponse | CommandSerr | CommandIntxDisable;

    public const ushort StatusInterrupt = 1 << 3;
    public const ushort StatusCapabilityList = 1 << 4;
    /// <summary>The error bits software clears by writing 1 (parity, aborts, SERR).</summary>
    public const ushort StatusWriteOneToClear = 0xf900;

    public const byte HeaderTypeMultiFunction = 0x80;

    public const byte CapabilityIdMsix = 0x11;
    public const byte CapabilityIdVendor = 0x09;

    public const byte InterruptPinA = 1;
}

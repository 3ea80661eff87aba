namespace Tern.Devices.Legacy.Rtc;

/// <summary>MC146818 register indexes and bits, and the CMOS bytes a PC BIOS defines.</summary>
internal static class CmosRegisters
{
    public const int Size = 128;
    public const byte IndexMask = 0x7F; // bit 7 of the index port gates NMI on a PC: ignored

    // Clock and calendar.
    public const int Seconds = 0x00;
    public const int Minutes = 0x02;
    public const int Hours = 0x04;
    public const int Weekday = 0x06;
    public const int DayOfMonth = 0x07;
    public const int Month = 0x08;
    public const int Year = 0x09;
    public const int Century = 0x32;

    // Status registers.
    public const int A = 0x0A;
    public const int B = 0x0B;
    public const int C = 0x0C;
    public const int D = 0x0D;

    public const byte AUpdateInProgress = 0x80;
    public const byte ADefault = 0x26; // 32.768 kHz time base, 1024 Hz periodic rate
    public const byte BSet = 0x80;     // updates halted while the guest sets the clock
    public const byte BUpdateInterruptEnable = 0x10;
    public const byte BBinary = 0x04;  // DM: binary rather than BCD
    public const byte B24Hour = 0x02;
    public const byte BDefault = B24Hour; // 24-hour BCD, as a PC BIOS leaves it
    public const byte DValidRamAndTime = 0x80;
    public const byte HourPm = 0x80;   // in 12-hour mode

    public static bool IsTimeRegister(int index) =>
        index is Seconds or Minutes or Hours or Weekday or DayOfMonth or Month or Year or Century;

    public static ReadOnlySpan<byte> TimeRegisters => [Seconds, Minutes, Hours, Weekday, DayOfMonth, Month, Year, Century];

    // Memory sizes, as QEMU and SeaBIOS lay them out.
    public const int BaseMemoryLow = 0x15;       // KiB below 1 MiB: 640
    public const int ExtendedMemoryLow = 0x17;   // KiB above 1 MiB, saturating at 0xFFFF
    public const int ExtendedMemoryCopyLow = 0x30;
    public const int RamAbove16MLow = 0x34;      // 64 KiB units between 16 MiB and the top of low RAM
    public const int RamAbove4GLow = 0x5B;       // 64 KiB units above 4 GiB, three bytes
}

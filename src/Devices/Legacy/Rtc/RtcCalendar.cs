using static Tern.Devices.Legacy.Rtc.CmosRegisters;

namespace Tern.Devices.Legacy.Rtc;

/// <summary>
/// Converts between a UTC time and the RTC's calendar registers in the format register B
/// selects: BCD or binary (DM, bit 2), 24-hour or 12-hour with a PM flag (bit 1).
/// </summary>
internal static class RtcCalendar
{
    /// <summary>The value of one clock/calendar register for <paramref name="time"/>.</summary>
    public static byte Encode(int index, DateTime time, byte registerB)
    {
        bool binary = (registerB & BBinary) != 0;
        return index switch
        {
            Seconds => Number(time.Second, binary),
            Minutes => Number(time.Minute, binary),
            Hours => Hour(time.Hour, binary, (registerB & B24Hour) != 0),
            Weekday => Number((int)time.DayOfWeek + 1, binary), // Sunday is 1
            DayOfMonth => Number(time.Day, binary),
            Month => Number(time.Month, binary),
            Year => Number(time.Year % 100, binary),
            Century => Number(time.Year / 100, binary),
            _ => throw new ArgumentOutOfRangeException(nameof(index), index, "not a clock register"),
        };
    }

    /// <summary>
    /// Reads a date and time back from the registers in <paramref name="ram"/>; false when they
    /// hold no valid one (bad BCD digits, 31 February, year 0). The day of week is ignored.
    /// </summary>
    public static bool TryDecode(ReadOnlySpan<byte> ram, byte registerB, out DateTime time)
    {
        time = default;
        bool binary = (registerB & BBinary) != 0;
        if (!TryNumber(ram[Seconds], binary, 0, 59, out int second)) return false;
        if (!TryNumber(ram[Minutes], binary, 0, 59, out int minute)) return false;
        if (!TryHour(ram[Hours], binary, (registerB & B24Hour) != 0, out int hour)) return false;
        if (!TryNumber(ram[Month], binary, 1, 12, out int month)) return false;
        if (!TryNumber(ram[Year], binary, 0, 99, out int yearInCentury)) return false;
        if (!TryNumber(ram[Century], binary, 0, 99, out int century)) return false;
        int year = century * 100 + yearInCentury;
        if (year < 1) return false;
        if (!TryNumber(ram[DayOfMonth], binary, 1, DateTime.DaysInMonth(year, month), out int day)) return false;
        time = new DateTime(year, month, day, hour, minute, second, DateTimeKind.Utc);
        return true;
    }

    private static byte Number(int value, bool binary) =>
        binary ? (byte)value : (byte)((value / 10) << 4 | value % 10);

    private static byte Hour(int hour, bool binary, bool twentyFour)
    {
        if (twentyFour) return Number(hour, binary);
        int twelve = hour % 12 == 0 ? 12 : hour % 12;
        return (byte)(Number(twelve, binary) | (hour >= 12 ? HourPm : 0));
    }

    private static bool TryNumber(byte raw, bool binary, int min, int max, out int value)
    {
        if (binary)
        {
            value = raw;
        }
        else
        {
            int tens = raw >> 4, units = raw & 0x0F;
            value = tens * 10 + units;
            if (tens > 9 || units > 9) return false;
        }
        return value >= min && value <= max;
    }

    private static bool TryHour(byte raw, bool binary, bool twentyFour, out int hour)
    {
        if (twentyFour) return TryNumber(raw, binary, 0, 23, out hour);
        bool pm = (raw & HourPm) != 0;
        if (!TryNumber((byte)(raw & ~HourPm), binary, 1, 12, out int twelve))
        {
            hour = 0;
            return false;
        }
        hour = twelve % 12 + (pm ? 12 : 0);
        return true;
    }
}

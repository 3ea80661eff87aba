using Tern.Devices.Legacy;
using Tern.Devices.Legacy.Rtc;

namespace Tern.Devices.Tests.Legacy;

public sealed class CmosTests
{
    private const ulong MiB = 1UL << 20, GiB = 1UL << 30;
    private const byte RegA = 0x0A, RegB = 0x0B, RegC = 0x0C, RegD = 0x0D;
    private const byte Uip = 0x80, BSet = 0x80, BBinary = 0x04, B24h = 0x02;

    // 2024-02-29 13:45:56 UTC, a Thursday.
    private readonly ManualClock _clock = new();
    private readonly Cmos _cmos;

    public CmosTests() => _cmos = new Cmos(512 * MiB, 0, _clock);

    private static byte Get(Cmos cmos, byte index)
    {
        cmos.Out8(0, index);
        return cmos.In8(1);
    }

    private static void Set(Cmos cmos, byte index, byte value)
    {
        cmos.Out8(0, index);
        cmos.Out8(1, value);
    }

    private byte Get(byte index) => Get(_cmos, index);

    private void Set(byte index, byte value) => Set(_cmos, index, value);

    private byte[] Clock() => [Get(0x00), Get(0x02), Get(0x04), Get(0x06), Get(0x07), Get(0x08), Get(0x09), Get(0x32)];

    [Fact]
    public void Time_reads_in_BCD_24_hour_by_default()
    {
        Assert.Equal(B24h, Get(RegB));
        Assert.Equal([0x56, 0x45, 0x13, 0x05, 0x29, 0x02, 0x24, 0x20], Clock());
    }

    [Fact]
    public void Time_reads_in_binary_when_register_B_says_so()
    {
        Set(RegB, BBinary | B24h);

        Assert.Equal([56, 45, 13, 5, 29, 2, 24, 20], Clock());
    }

    [Fact]
    public void Twelve_hour_mode_flags_PM_in_bit_7()
    {
        Set(RegB, 0);
        Assert.Equal(0x81, Get(0x04)); // 1 PM

        _clock.SetUtc(new DateTimeOffset(2024, 2, 29, 0, 30, 0, TimeSpan.Zero));
        Assert.Equal(0x12, Get(0x04)); // 12 AM

        Set(RegB, BBinary);
        Assert.Equal(12, Get(0x04));
    }

    [Fact]
    public void Time_follows_the_host_clock()
    {
        _clock.Advance(TimeSpan.FromSeconds(10));

        Assert.Equal(0x06, Get(0x00));
        Assert.Equal(0x46, Get(0x02));
    }

    [Fact]
    public void Update_in_progress_shows_only_in_the_last_244_microseconds_of_a_second()
    {
        Assert.Equal(0x26, Get(RegA));

        _clock.Advance(TimeSpan.FromMicroseconds(999_800));
        Assert.Equal(Uip, Get(RegA) & Uip);
        Assert.Equal(0x56, Get(0x00));

        _clock.Advance(TimeSpan.FromMicroseconds(250));
        Assert.Equal(0, Get(RegA) & Uip);
        Assert.Equal(0x57, Get(0x00));
    }

    [Fact]
    public void Register_A_ignores_writes_to_UIP()
    {
        Set(RegA, 0xA6);

        Assert.Equal(0x26, Get(RegA));
    }

    [Fact]
    public void Registers_C_and_D_report_no_interrupts_and_valid_time()
    {
        Set(RegD, 0);
        Set(RegC, 0xFF);

        Assert.Equal(0x80, Get(RegD));
        Assert.Equal(0x00, Get(RegC));
    }

    [Fact]
    public void Index_bit_7_is_the_NMI_mask_and_is_ignored()
    {
        _cmos.Out8(0, 0x80 | RegD);

        Assert.Equal(0x80, _cmos.In8(1));
        Assert.Equal(0xFF, _cmos.In8(0)); // the index port is write-only
    }

    [Fact]
    public void Ram_bytes_keep_what_the_guest_writes()
    {
        Set(0x40, 0x12);
        Set(0x7F, 0x34);

        Assert.Equal(0x12, Get(0x40));
        Assert.Equal(0x34, Get(0x7F));
    }

    [Fact]
    public void A_16_bit_write_sets_the_index_then_the_data()
    {
        _cmos.Out16(0, 0x5540);

        Assert.Equal(0x55, Get(0x40));
    }

    [Fact]
    public void Memory_registers_describe_512_MiB()
    {
        Assert.Equal(0x80, Get(0x15));
        Assert.Equal(0x02, Get(0x16)); // 640 KiB base memory
        Assert.Equal(0xFF, Get(0x17));
        Assert.Equal(0xFF, Get(0x18)); // 511 MiB of extended memory saturates
        Assert.Equal(0xFF, Get(0x30));
        Assert.Equal(0xFF, Get(0x31));
        Assert.Equal(0x00, Get(0x34));
        Assert.Equal(0x1F, Get(0x35)); // (512 - 16) MiB / 64 KiB = 0x1F00
        Assert.Equal([0, 0, 0], new[] { Get(0x5B), Get(0x5C), Get(0x5D) });
    }

    [Fact]
    public void Memory_registers_describe_5_GiB_split_around_the_hole()
    {
        var cmos = Cmos.ForRamSize(5 * GiB, _clock);

        // Low RAM ends at 0xB000_0000 (2816 MiB): (2816 - 16) MiB / 64 KiB = 0xAF00.
        Assert.Equal(0x00, Get(cmos, 0x34));
        Assert.Equal(0xAF, Get(cmos, 0x35));
        // 5 GiB - 2816 MiB = 2304 MiB above 4 GiB: 0x9000 chunks of 64 KiB.
        Assert.Equal(0x00, Get(cmos, 0x5B));
        Assert.Equal(0x90, Get(cmos, 0x5C));
        Assert.Equal(0x00, Get(cmos, 0x5D));
    }

    [Fact]
    public void Memory_registers_for_a_small_guest_do_not_saturate()
    {
        var cmos = new Cmos(8 * MiB, 0, _clock);

        Assert.Equal(7 * 1024, Get(cmos, 0x17) | Get(cmos, 0x18) << 8);
        Assert.Equal(0, Get(cmos, 0x34) | Get(cmos, 0x35) << 8);
    }

    [Fact]
    public void Guest_sets_the_clock_with_SET_and_it_keeps_running_from_there()
    {
        Set(RegB, BSet | B24h);
        Set(0x00, 0x00);
        Set(0x02, 0x00);
        Set(0x04, 0x08);
        Set(0x07, 0x15);
        Set(0x08, 0x01);
        Set(0x09, 0x30);
        Set(0x32, 0x20);
        _clock.Advance(TimeSpan.FromSeconds(3));
        Assert.Equal(0x00, Get(0x00)); // frozen while SET is on
        Assert.Equal(0, Get(RegA) & Uip);

        Set(RegB, B24h);
        _clock.Advance(TimeSpan.FromSeconds(5));

        // 2030-01-15 08:00:05, a Tuesday (3).
        Assert.Equal([0x05, 0x00, 0x08, 0x03, 0x15, 0x01, 0x30, 0x20], Clock());
    }

    [Fact]
    public void An_invalid_date_written_under_SET_leaves_the_clock_alone()
    {
        Set(RegB, BSet | B24h);
        Set(0x08, 0x13); // month 13
        Set(RegB, B24h);

        Assert.Equal([0x56, 0x45, 0x13, 0x05, 0x29, 0x02, 0x24, 0x20], Clock());
    }

    [Fact]
    public void A_clock_register_written_without_SET_moves_the_clock_at_once()
    {
        Set(0x02, 0x10);

        Assert.Equal(0x10, Get(0x02));
        Assert.Equal(0x13, Get(0x04));
        Assert.Equal(0x29, Get(0x07));
    }

    [Fact]
    public void Save_and_restore_keeps_ram_index_and_guest_time()
    {
        Set(0x02, 0x10); // guest clock now differs from the host's
        Set(0x50, 0xAB);
        _cmos.Out8(0, 0x50);
        var saved = _cmos.Save();

        var restored = Cmos.Restore(saved, _clock);

        Assert.Equal(saved.Ram, restored.Save().Ram);
        Assert.Equal(saved with { Ram = [] }, restored.Save() with { Ram = [] });
        Assert.Equal(0xAB, restored.In8(1));
        Assert.Equal(0x10, Get(restored, 0x02));
    }

    public static TheoryData<string, Func<CmosState, CmosState>> BadStates => new()
    {
        { "future version", s => s with { Version = CmosState.CurrentVersion + 1 } },
        { "short RAM", s => s with { Ram = new byte[127] } },
        { "index with the NMI bit", s => s with { Index = 0x80 } },
        { "register D cleared", s => s with { Ram = WithByte(s.Ram, RegD, 0) } },
        { "clock offset beyond any date", s => s with { GuestClockOffsetTicks = long.MaxValue } },
    };

    private static byte[] WithByte(byte[] ram, int index, byte value)
    {
        var copy = (byte[])ram.Clone();
        copy[index] = value;
        return copy;
    }

    [Theory]
    [MemberData(nameof(BadStates))]
    public void Restore_refuses_a_state_the_device_could_not_have_saved(string why, Func<CmosState, CmosState> spoil)
    {
        _ = why; // names the case in the test report
        var bad = spoil(_cmos.Save());

        var error = Assert.Throws<DeviceStateException>(() => Cmos.Restore(bad, _clock));
        Assert.Equal(nameof(Cmos), error.Device);
    }
}

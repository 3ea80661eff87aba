using Tern.Devices.Legacy;
using Tern.Devices.Legacy.Acpi;

namespace Tern.Devices.Tests.Legacy;

public sealed class AcpiPmTests
{
    // Offsets inside the block at 0x600.
    private const ulong Pm1Sts = 0x00, Pm1En = 0x02, Pm1Cnt = 0x04, PmTmr = 0x08, Gpe0Sts = 0x20, Gpe0En = 0x28;
    private const ushort TmrSts = 0x0001, PwrBtn = 0x0100, SciEn = 0x0001, SlpEn = 0x2000;
    private const uint Hz = 3_579_545;

    private readonly ManualClock _clock = new();
    private readonly RecordingLevelLine _sci = new();
    private int _powerOffs;
    private readonly AcpiPm _pm;

    public AcpiPmTests() => _pm = new AcpiPm(_sci, () => _powerOffs++, _clock);

    private static ushort SleepControl(int sleepType, bool enable) =>
        (ushort)((sleepType << 10) | (enable ? SlpEn : 0));

    [Fact]
    public void Power_button_sets_its_status_but_raises_no_SCI_until_enabled()
    {
        _pm.PressPowerButton();

        Assert.Equal(PwrBtn, _pm.In16(Pm1Sts));
        Assert.False(_sci.Asserted);

        _pm.Out16(Pm1En, PwrBtn);

        Assert.True(_sci.Asserted);
    }

    [Fact]
    public void Enabled_power_button_asserts_SCI_until_the_guest_clears_the_status()
    {
        _pm.Out16(Pm1En, PwrBtn);
        _pm.PressPowerButton();
        Assert.True(_sci.Asserted);

        _pm.Out16(Pm1Sts, 0); // writing zeroes clears nothing
        Assert.True(_sci.Asserted);
        Assert.Equal(PwrBtn, _pm.In16(Pm1Sts));

        _pm.Out16(Pm1Sts, PwrBtn);

        Assert.False(_sci.Asserted);
        Assert.Equal(0, _pm.In16(Pm1Sts));
        Assert.Equal([true, false], _sci.History);
    }

    [Fact]
    public void Sleep_type_5_with_SLP_EN_powers_off()
    {
        _pm.Out16(Pm1Cnt, SleepControl(5, enable: false)); // ACPICA's first write: type only
        Assert.Equal(0, _powerOffs);

        _pm.Out16(Pm1Cnt, SleepControl(5, enable: true));

        Assert.Equal(1, _powerOffs);
    }

    [Fact]
    public void Other_sleep_types_are_ignored()
    {
        _pm.Out16(Pm1Cnt, SleepControl(0, enable: true));
        _pm.Out16(Pm1Cnt, SleepControl(1, enable: true));
        _pm.Out16(Pm1Cnt, SleepControl(7, enable: true));

        Assert.Equal(0, _powerOffs);
    }

    [Fact]
    public void PM1_control_reads_SCI_EN_set_and_SLP_EN_clear()
    {
        Assert.Equal(SciEn, _pm.In16(Pm1Cnt));

        _pm.Out16(Pm1Cnt, SleepControl(3, enable: true));

        Assert.Equal(SciEn | SleepControl(3, enable: false), _pm.In16(Pm1Cnt));
    }

    [Fact]
    public void Byte_write_to_the_high_half_of_PM1_control_can_power_off()
    {
        _pm.Out8(Pm1Cnt + 1, (5 << 2) | (1 << 5));

        Assert.Equal(1, _powerOffs);
    }

    [Fact]
    public void PM_timer_counts_at_3_579545_MHz()
    {
        uint start = _pm.In32(PmTmr);
        _clock.AdvanceNanoseconds(ManualClock.NanosecondsPerSecond);

        Assert.Equal(0u, start);
        Assert.Equal(Hz, _pm.In32(PmTmr));

        _clock.AdvanceNanoseconds(1_000); // 3.58 ticks
        Assert.Equal(Hz + 3, _pm.In32(PmTmr));
    }

    [Fact]
    public void PM_timer_wraps_at_24_bits()
    {
        _clock.AdvanceNanoseconds(5 * ManualClock.NanosecondsPerSecond);

        uint value = _pm.In32(PmTmr);

        Assert.Equal((5 * Hz) & 0xFF_FFFF, value);
        Assert.True(value < 5 * Hz);
        Assert.Equal(0, _pm.In8(PmTmr + 3));
    }

    [Fact]
    public void PM_timer_is_read_only()
    {
        _clock.AdvanceNanoseconds(ManualClock.NanosecondsPerSecond);
        _pm.Out32(PmTmr, 0);

        Assert.Equal(Hz, _pm.In32(PmTmr));
    }

    [Fact]
    public void Timer_carry_sets_TMR_STS_and_raises_SCI_when_enabled()
    {
        _pm.Out16(Pm1En, TmrSts);
        _clock.AdvanceNanoseconds(2_400_000_000); // past 2^23 ticks (2.34 s)

        Assert.Equal(TmrSts, _pm.In16(Pm1Sts));
        Assert.True(_sci.Asserted);

        _pm.Out16(Pm1Sts, TmrSts);
        Assert.False(_sci.Asserted);
    }

    [Fact]
    public void Byte_word_and_dword_accesses_see_the_same_registers()
    {
        _pm.Out8(Pm1En + 1, 0x01); // PWRBTN_EN through the high byte
        Assert.Equal(PwrBtn, _pm.In16(Pm1En));

        _pm.PressPowerButton();
        Assert.Equal(PwrBtn | (uint)PwrBtn << 16, _pm.In32(Pm1Sts));
        Assert.Equal(0x01, _pm.In8(Pm1Sts + 1));

        _pm.Out8(Pm1Sts + 1, 0x01); // W1C through the high byte
        Assert.Equal(0, _pm.In16(Pm1Sts));
        Assert.False(_sci.Asserted);

        _pm.PressPowerButton();
        _pm.Out32(Pm1Sts, PwrBtn); // dword: clear status, and PM1_EN = 0 at the same time
        Assert.Equal(0u, _pm.In32(Pm1Sts));

        _clock.AdvanceNanoseconds(ManualClock.NanosecondsPerSecond);
        byte[] bytes = [_pm.In8(PmTmr), _pm.In8(PmTmr + 1), _pm.In8(PmTmr + 2), _pm.In8(PmTmr + 3)];
        Assert.Equal(_pm.In32(PmTmr), BitConverter.ToUInt32(bytes));
        Assert.Equal(Hz & 0xFFFF, _pm.In16(PmTmr));
    }

    [Fact]
    public void GPE0_enables_read_back_and_status_is_write_one_to_clear()
    {
        _pm.Out32(Gpe0En, 0x8000_0001);
        _pm.Out32(Gpe0Sts, 0xFFFF_FFFF);

        Assert.Equal(0x8000_0001u, _pm.In32(Gpe0En));
        Assert.Equal(0u, _pm.In32(Gpe0Sts));
        Assert.False(_sci.Asserted);
    }

    [Fact]
    public void Unimplemented_offsets_read_zero_and_ignore_writes()
    {
        _pm.Out32(0x30, 0xFFFF_FFFF);

        Assert.Equal(0u, _pm.In32(0x30));
        Assert.Equal(0u, _pm.In32(0x7C));
    }

    [Fact]
    public void Save_and_restore_keeps_registers_and_the_timer_carries_on()
    {
        _pm.Out16(Pm1En, PwrBtn);
        _pm.Out16(Pm1Cnt, SleepControl(3, enable: false));
        _pm.Out8(Gpe0En + 2, 0x04);
        _pm.PressPowerButton();
        _clock.AdvanceNanoseconds(ManualClock.NanosecondsPerSecond);
        var saved = _pm.Save();

        var otherHost = new ManualClock();
        otherHost.AdvanceNanoseconds(77 * ManualClock.NanosecondsPerSecond); // a different monotonic origin
        var sci = new RecordingLevelLine();
        var restored = AcpiPm.Restore(saved, sci, () => { }, otherHost);

        Assert.True(sci.Asserted); // the pending, enabled power button is driven at once
        Assert.Equal(PwrBtn, restored.In16(Pm1Sts));
        Assert.Equal(PwrBtn, restored.In16(Pm1En));
        Assert.Equal(SciEn | SleepControl(3, enable: false), restored.In16(Pm1Cnt));
        Assert.Equal(0x04, restored.In8(Gpe0En + 2));
        Assert.Equal(Hz, restored.In32(PmTmr));
        otherHost.AdvanceNanoseconds(ManualClock.NanosecondsPerSecond);
        Assert.Equal(2 * Hz, restored.In32(PmTmr));
    }

    public static TheoryData<string, Func<AcpiPmState, AcpiPmState>> BadStates => new()
    {
        { "future version", s => s with { Version = AcpiPmState.CurrentVersion + 1 } },
        { "unknown status bit", s => s with { Pm1Status = 0x0002 } },
        { "unknown enable bit", s => s with { Pm1Enable = 0x8000 } },
        { "stored SLP_EN", s => s with { Pm1Control = SlpEn } },
        { "short GPE status", s => s with { Gpe0Status = new byte[4] } },
        { "GPE enable missing", s => s with { Gpe0Enable = null! } },
    };

    [Theory]
    [MemberData(nameof(BadStates))]
    public void Restore_refuses_a_state_the_block_could_not_have_saved(string why, Func<AcpiPmState, AcpiPmState> spoil)
    {
        _ = why; // names the case in the test report
        var bad = spoil(_pm.Save());

        var error = Assert.Throws<DeviceStateException>(() => AcpiPm.Restore(bad, _sci, () => { }, _clock));
        Assert.Equal(nameof(AcpiPm), error.Device);
    }
}

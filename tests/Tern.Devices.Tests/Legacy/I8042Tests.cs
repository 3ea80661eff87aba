using Tern.Devices.Legacy;
using Tern.Devices.Legacy.Keyboard;

namespace Tern.Devices.Tests.Legacy;

public sealed class I8042Tests
{
    private const byte StatusObf = 0x01, StatusSys = 0x04, StatusCmd = 0x08, StatusAux = 0x20;
    private const byte CtrKbdInt = 0x01, CtrKbdDis = 0x10, CtrXlate = 0x40;

    private readonly CountingEdgeLine _irq = new();
    private int _resets;
    private readonly I8042 _kbc;

    public I8042Tests() => _kbc = new I8042(() => _resets++, _irq);

    private byte Status() => _kbc.CommandPort.In8(0);

    private void Command(byte command) => _kbc.CommandPort.Out8(0, command);

    private void Data(byte value) => _kbc.DataPort.Out8(0, value);

    private byte ReadData() => _kbc.DataPort.In8(0);

    private byte CommandWithReply(byte command)
    {
        Command(command);
        Assert.Equal(StatusObf, Status() & StatusObf);
        return ReadData();
    }

    [Fact]
    public void Command_0xFE_pulses_reset()
    {
        Command(0xFE);

        Assert.Equal(1, _resets);
    }

    [Fact]
    public void Pulse_commands_that_leave_bit_0_alone_do_not_reset()
    {
        Command(0xFF);
        Command(0xF1);

        Assert.Equal(0, _resets);
    }

    [Fact]
    public void Writing_the_output_port_with_bit_0_clear_resets()
    {
        Command(0xD1);
        Data(0x03);
        Assert.Equal(0, _resets);
        Assert.Equal(0x03, CommandWithReply(0xD0) & 0x03);

        Command(0xD1);
        Data(0x02);

        Assert.Equal(1, _resets);
    }

    [Fact]
    public void Self_test_answers_0x55_and_sets_the_system_flag()
    {
        Assert.Equal(0x55, CommandWithReply(0xAA));
        Assert.Equal(0, Status() & StatusObf);
        Assert.Equal(StatusSys, Status() & StatusSys);
    }

    [Fact]
    public void Keyboard_interface_test_passes()
    {
        Assert.Equal(0x00, CommandWithReply(0xAB));
    }

    [Fact]
    public void Configuration_byte_reads_back_what_was_written()
    {
        byte initial = CommandWithReply(0x20);
        Assert.Equal(CtrKbdInt, initial & CtrKbdInt);
        Assert.Equal(CtrXlate, initial & CtrXlate);

        Command(0x60);
        Data(0x74);

        Assert.Equal(0x74, CommandWithReply(0x20));
    }

    [Fact]
    public void Disable_and_enable_keyboard_toggle_the_configuration_byte()
    {
        Command(0xAD);
        Assert.Equal(CtrKbdDis, CommandWithReply(0x20) & CtrKbdDis);

        Command(0xAE);
        Assert.Equal(0, CommandWithReply(0x20) & CtrKbdDis);
    }

    [Fact]
    public void Status_tells_whether_the_last_write_was_a_command()
    {
        Command(0x20);
        Assert.Equal(StatusCmd, Status() & StatusCmd);

        Command(0x60);
        Data(0x45);
        Assert.Equal(0, Status() & StatusCmd);
    }

    [Fact]
    public void Linux_probe_finds_the_controller_no_aux_port_and_a_keyboard()
    {
        // i8042_controller_check: flush.
        Assert.Equal(0, Status() & StatusObf);

        // i8042_controller_init: two equal CTR reads, then kbd disabled, interrupts off.
        byte ctr = CommandWithReply(0x20);
        Assert.Equal(ctr, CommandWithReply(0x20));
        Command(0x60);
        Data((byte)((ctr | CtrKbdDis) & ~CtrKbdInt));

        // i8042_check_aux: the loop-back byte must come back without the AUX bit, and the
        // AUX interface test must fail, both at once.
        Command(0xD3);
        Data(0x5A);
        Assert.Equal(StatusObf, Status() & (StatusObf | StatusAux));
        byte auxTest = CommandWithReply(0xA9);
        Assert.NotEqual(0x00, auxTest);
        Assert.NotEqual(0xFA, auxTest);
        Assert.NotEqual(0xFF, auxTest);
        Assert.Equal(0, Status() & StatusObf);

        // i8042_enable_kbd_port, then atkbd asks the keyboard for its ID.
        Command(0x60);
        Data((byte)((ctr & ~CtrKbdDis) | CtrKbdInt));
        Data(0xF2);

        Assert.Equal(1, _irq.Count);
        Assert.Equal(0xFA, ReadData());
        Assert.Equal(0xAB, ReadData());
        Assert.Equal(0x41, ReadData()); // 0x83 as the translating controller shows it
        Assert.Equal(3, _irq.Count);
        Assert.Equal(0, Status() & StatusObf);
    }

    [Fact]
    public void Keyboard_reset_acknowledges_and_reports_a_passed_self_test()
    {
        Data(0xFF);

        Assert.Equal(0xFA, ReadData());
        Assert.Equal(0xAA, ReadData());
    }

    [Fact]
    public void Keyboard_commands_with_a_parameter_are_acknowledged_twice()
    {
        Data(0xED);
        Assert.Equal(0xFA, ReadData());
        Data(0x07);
        Assert.Equal(0xFA, ReadData());

        Data(0xF0);
        Assert.Equal(0xFA, ReadData());
        Data(0x00);
        Assert.Equal(0xFA, ReadData());
        Assert.Equal(0x02, ReadData());
    }

    [Fact]
    public void Keyboard_bytes_wait_while_the_keyboard_is_disabled()
    {
        Command(0xAD);
        Data(0xF4);
        Assert.Equal(0, Status() & StatusObf);
        Assert.Equal(0, _irq.Count);

        Command(0xAE);

        Assert.Equal(1, _irq.Count);
        Assert.Equal(0xFA, ReadData());
    }

    [Fact]
    public void Controller_reply_is_read_before_a_waiting_keyboard_byte()
    {
        Data(0xEE);
        Assert.Equal(1, _irq.Count);

        Assert.Equal(0x00, CommandWithReply(0xAB));
        Assert.Equal(0xEE, ReadData());
        Assert.Equal(2, _irq.Count); // the keyboard byte became readable again after the reply
    }

    [Fact]
    public void Without_an_irq_line_the_controller_still_works()
    {
        var kbc = new I8042(() => { });
        kbc.DataPort.Out8(0, 0xF2);

        Assert.Equal(0xFA, kbc.DataPort.In8(0));
    }

    [Fact]
    public void Save_and_restore_keeps_a_half_written_command_and_keyboard_replies()
    {
        Command(0x60);
        Data(0x65);
        Data(0xF2);
        Assert.Equal(0xFA, ReadData());
        Command(0xD1);
        var saved = _kbc.Save();

        int resets = 0;
        var restored = I8042.Restore(saved, () => resets++);
        var again = restored.Save();

        Assert.Equal(saved.Ram, again.Ram);
        Assert.Equal(saved.Keyboard.Output, again.Keyboard.Output);
        Assert.Equal(saved with { Ram = [], Keyboard = saved.Keyboard with { Output = [] } },
            again with { Ram = [], Keyboard = again.Keyboard with { Output = [] } });
        Assert.Equal(0xAB, restored.DataPort.In8(0));
        Assert.Equal(0x41, restored.DataPort.In8(0));

        restored.DataPort.Out8(0, 0x00); // the output-port write begun before the save

        Assert.Equal(1, resets);
    }

    public static TheoryData<string, Func<I8042State, I8042State>> BadStates => new()
    {
        { "future version", s => s with { Version = I8042State.CurrentVersion + 1 } },
        { "short RAM", s => s with { Ram = new byte[31] } },
        { "pending command without data", s => s with { PendingCommand = 0x20 } },
        { "scan-code set 4", s => s with { Keyboard = s.Keyboard with { ScancodeSet = 4 } } },
        { "keyboard over capacity", s => s with { Keyboard = s.Keyboard with { Output = new byte[17] } } },
        { "parameter awaited for a plain command", s => s with { Keyboard = s.Keyboard with { AwaitingParameterFor = 0xF4 } } },
    };

    [Theory]
    [MemberData(nameof(BadStates))]
    public void Restore_refuses_a_state_the_controller_could_not_have_saved(string why, Func<I8042State, I8042State> spoil)
    {
        _ = why; // names the case in the test report
        var bad = spoil(_kbc.Save());

        var error = Assert.Throws<DeviceStateException>(() => I8042.Restore(bad, () => { }));
        Assert.Equal(nameof(I8042), error.Device);
    }
}

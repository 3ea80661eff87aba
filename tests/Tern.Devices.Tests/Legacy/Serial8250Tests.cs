using System.Text;
using Tern.Devices.Legacy;
using Tern.Devices.Legacy.Serial;

namespace Tern.Devices.Tests.Legacy;

public sealed class Serial8250Tests
{
    // Register offsets and bits, spelled out the way a guest driver uses them.
    private const ulong Data = 0, Ier = 1, Iir = 2, Fcr = 2, Lcr = 3, Mcr = 4, Lsr = 5, Msr = 6, Scr = 7;
    private const byte IerRda = 0x01, IerThri = 0x02, IerRls = 0x04, IerMsi = 0x08;
    private const byte IirNone = 0x01, IirThri = 0x02, IirRda = 0x04, IirRls = 0x06;
    private const byte LsrDr = 0x01, LsrOe = 0x02, LsrThre = 0x20, LsrTemt = 0x40;
    private const byte McrLoop = 0x10, McrOut2 = 0x08, McrRts = 0x02;

    private readonly CountingEdgeLine _irq = new();
    private readonly RecordingSink _sink = new();
    private readonly Serial8250 _uart;

    public Serial8250Tests() => _uart = new Serial8250(_irq, _sink);

    private byte InterruptId() => (byte)(_uart.In8(Iir) & 0x0F);

    [Fact]
    public void Bytes_written_to_THR_reach_the_sink_in_order()
    {
        foreach (byte b in "Linux version\n"u8) _uart.Out8(Data, b);

        Assert.Equal("Linux version\n", Encoding.ASCII.GetString(_sink.Bytes.ToArray()));
    }

    [Fact]
    public void Polled_writer_always_finds_THR_empty_and_raises_no_interrupt()
    {
        foreach (byte b in "ok"u8)
        {
            Assert.Equal(LsrThre | LsrTemt, _uart.In8(Lsr) & (LsrThre | LsrTemt));
            _uart.Out8(Data, b);
        }

        Assert.Equal(LsrThre | LsrTemt, _uart.In8(Lsr));
        Assert.Equal(0, _irq.Count);
        Assert.Equal(IirNone, InterruptId());
    }

    [Fact]
    public void Enabling_THR_empty_interrupt_raises_it_and_reading_IIR_acknowledges_it()
    {
        _uart.Out8(Ier, IerThri);

        Assert.Equal(1, _irq.Count);
        Assert.Equal(IirThri, InterruptId());
        Assert.Equal(IirNone, InterruptId());

        _uart.Out8(Data, (byte)'x');

        Assert.Equal(2, _irq.Count);
        Assert.Equal(IirThri, InterruptId());
    }

    [Fact]
    public void Bytes_written_back_to_back_raise_one_interrupt_until_IIR_is_read()
    {
        _uart.Out8(Ier, IerThri);
        Assert.Equal(IirThri, InterruptId());

        foreach (byte b in "sixteen bytes..."u8) _uart.Out8(Data, b);

        Assert.Equal(2, _irq.Count);
    }

    [Fact]
    public void Linux_THRE_retest_sees_the_interrupt_again_after_IER_is_rewritten()
    {
        // serial8250_do_startup's UART_BUG_THRE probe: THRI on, read IIR, off, on, read IIR.
        _uart.Out8(Ier, IerThri);
        byte iir1 = _uart.In8(Iir);
        _uart.Out8(Ier, 0);
        _uart.Out8(Ier, IerThri);
        byte iir2 = _uart.In8(Iir);
        _uart.Out8(Ier, 0);

        Assert.Equal(0, iir1 & IirNone);
        Assert.Equal(0, iir2 & IirNone);
    }

    [Fact]
    public void Received_data_outranks_THR_empty_in_IIR()
    {
        _uart.Out8(Ier, IerRda | IerThri);
        _uart.EnqueueInput("ab"u8);

        Assert.Equal(IirRda, InterruptId());
        Assert.Equal((byte)'a', _uart.In8(Data));
        Assert.Equal(IirRda, InterruptId());
        Assert.Equal((byte)'b', _uart.In8(Data));
        Assert.Equal(IirThri, InterruptId());
        Assert.Equal(IirNone, InterruptId());
    }

    [Fact]
    public void Overrun_is_a_line_status_interrupt_that_reading_LSR_clears()
    {
        _uart.Out8(Mcr, McrLoop);
        for (int i = 0; i <= Serial8250.InputFifoCapacity; i++) _uart.Out8(Data, (byte)i);
        _uart.Out8(Ier, IerRls | IerRda);

        Assert.Equal(IirRls, InterruptId());
        Assert.Equal(LsrOe | LsrDr, _uart.In8(Lsr) & (LsrOe | LsrDr));
        Assert.Equal(0, _uart.In8(Lsr) & LsrOe);
        Assert.Equal(IirRda, InterruptId());
    }

    [Fact]
    public void Linux_autoconfig_probe_finds_a_16550A()
    {
        // IER test: the upper bits must not stick (they would mean XScale/16750 features).
        _uart.Out8(Ier, 0);
        Assert.Equal(0, _uart.In8(Ier) & 0x0F);
        _uart.Out8(Ier, 0x0F);
        Assert.Equal(0x0F, _uart.In8(Ier) & 0x0F);
        _uart.Out8(Ier, 0xFF);
        Assert.Equal(0x0F, _uart.In8(Ier));
        _uart.Out8(Ier, 0);

        // Loopback test: LOOP|OUT2|RTS must read back as DCD|CTS.
        byte savedMcr = _uart.In8(Mcr);
        _uart.Out8(Mcr, McrLoop | McrOut2 | McrRts);
        Assert.Equal(0x90, _uart.In8(Msr) & 0xF0);
        _uart.Out8(Mcr, savedMcr);
        Assert.Equal(0xB0, _uart.In8(Msr) & 0xF0);

        // FIFO test: EFR write under LCR 0xBF lands in FCR; then FIFO enable must report 0b11.
        _uart.Out8(Lcr, 0xBF);
        _uart.Out8(Fcr, 0);
        _uart.Out8(Lcr, 0);
        _uart.Out8(Fcr, 0x01);
        Assert.Equal(3, _uart.In8(Iir) >> 6);

        // 16750 test: the 64-byte FIFO bit must not show up.
        _uart.Out8(Fcr, 0x21);
        Assert.Equal(0xC0, _uart.In8(Iir) & 0xE0);

        // Scratch register.
        _uart.Out8(Scr, 0xA5);
        Assert.Equal(0xA5, _uart.In8(Scr));
    }

    [Fact]
    public void Loopback_returns_written_bytes_to_the_receiver_without_output_or_interrupt()
    {
        _uart.Out8(Ier, IerRda);
        _uart.Out8(Mcr, McrLoop);
        _uart.Out8(Data, 0x42);

        Assert.Empty(_sink.Bytes);
        Assert.Equal(LsrDr, _uart.In8(Lsr) & LsrDr);
        Assert.Equal(0x42, _uart.In8(Data));
        Assert.Equal(0, _irq.Count);
    }

    [Fact]
    public void Loopback_modem_changes_set_delta_bits_that_reading_MSR_clears()
    {
        _uart.Out8(Ier, IerMsi);
        _uart.Out8(Mcr, McrLoop);
        _uart.In8(Msr);
        _uart.Out8(Mcr, McrLoop | McrRts);

        Assert.Equal(0x11, _uart.In8(Msr)); // CTS and delta-CTS
        Assert.Equal(0x10, _uart.In8(Msr));
        Assert.Equal(0, _irq.Count); // OUT2 gate: no interrupt leaves the chip in loopback
    }

    [Fact]
    public void Leaving_loopback_with_an_enabled_pending_condition_raises_the_line()
    {
        _uart.Out8(Ier, IerRda);
        _uart.Out8(Mcr, McrLoop);
        _uart.Out8(Data, 0x42);
        _uart.Out8(Mcr, McrOut2);

        Assert.Equal(1, _irq.Count);
        Assert.Equal(IirRda, InterruptId());
    }

    [Fact]
    public void Input_is_bounded_by_the_fifo_and_reports_how_much_was_taken()
    {
        var input = new byte[100];
        Array.Fill(input, (byte)'k');

        Assert.Equal(Serial8250.InputFifoCapacity, _uart.EnqueueInput(input));
        Assert.Equal(0, _uart.EnqueueInput(input));

        for (int i = 0; i < 10; i++) _uart.In8(Data);

        Assert.Equal(10, _uart.EnqueueInput(input));
    }

    [Fact]
    public void Input_raises_the_received_data_interrupt_when_enabled()
    {
        Assert.Equal(3, _uart.EnqueueInput("abc"u8));
        Assert.Equal(0, _irq.Count);

        _uart.Out8(Ier, IerRda);
        Assert.Equal(1, _irq.Count); // data was already waiting when the interrupt was enabled

        _uart.EnqueueInput("d"u8);
        Assert.Equal(2, _irq.Count);

        Assert.Equal("abcd", Encoding.ASCII.GetString([_uart.In8(Data), _uart.In8(Data), _uart.In8(Data), _uart.In8(Data)]));
        Assert.Equal(0, _uart.In8(Lsr) & LsrDr);
        Assert.Equal(IirNone, InterruptId());
    }

    [Fact]
    public async Task Input_from_a_host_thread_arrives_whole_and_in_order_under_back_pressure()
    {
        byte[] input = Enumerable.Range(0, 20_000).Select(i => (byte)(i * 7)).ToArray();
        var deadline = DateTime.UtcNow + TimeSpan.FromSeconds(30);
        var producer = Task.Run(() =>
        {
            int sent = 0;
            while (sent < input.Length && DateTime.UtcNow < deadline)
            {
                int taken = _uart.EnqueueInput(input.AsSpan(sent));
                sent += taken;
                if (taken == 0) Thread.Yield();
            }
        });

        var received = new List<byte>(input.Length);
        while (received.Count < input.Length && DateTime.UtcNow < deadline)
        {
            if ((_uart.In8(Lsr) & LsrDr) != 0) received.Add(_uart.In8(Data));
            else Thread.Yield();
        }
        await producer;

        Assert.Equal(input, received);
    }

    [Fact]
    public void Input_is_refused_in_loopback()
    {
        _uart.Out8(Mcr, McrLoop);

        Assert.Equal(0, _uart.EnqueueInput("x"u8));
    }

    [Fact]
    public void FIFO_clear_drops_pending_input()
    {
        _uart.EnqueueInput("abc"u8);
        _uart.Out8(Fcr, 0x03);

        Assert.Equal(0, _uart.In8(Lsr) & LsrDr);
    }

    [Fact]
    public void DLAB_exposes_the_divisor_latch_instead_of_data_and_IER()
    {
        _uart.Out8(Ier, IerRda);
        _uart.Out8(Lcr, 0x83);
        _uart.Out8(Data, 0x01);
        _uart.Out8(Ier, 0x00);

        Assert.Equal(0x01, _uart.In8(Data));
        Assert.Equal(0x00, _uart.In8(Ier));
        Assert.Empty(_sink.Bytes);

        _uart.Out8(Lcr, 0x03);
        Assert.Equal(IerRda, _uart.In8(Ier));
        _uart.Out8(Data, (byte)'z');
        Assert.Equal("z"u8.ToArray(), _sink.Bytes);

        _uart.Out8(Lcr, 0x83);
        Assert.Equal(0x0001, _uart.In16(Data));
    }

    [Fact]
    public void A_16_bit_write_is_two_byte_writes_at_consecutive_ports()
    {
        _uart.Out16(Data, 0x0241); // 'A' to THR, then IER = THRI

        Assert.Equal("A"u8.ToArray(), _sink.Bytes);
        Assert.Equal(IerThri, _uart.In8(Ier));
    }

    [Fact]
    public void Save_and_restore_keeps_registers_and_pending_input()
    {
        _uart.Out8(Lcr, 0x80);
        _uart.Out8(Data, 0x01);
        _uart.Out8(Lcr, 0x1B);
        _uart.Out8(Fcr, 0xC1);
        _uart.Out8(Mcr, 0x0B);
        _uart.Out8(Scr, 0x5A);
        _uart.Out8(Ier, IerRda | IerThri);
        _uart.EnqueueInput("hi"u8);
        var saved = _uart.Save();

        var irq = new CountingEdgeLine();
        var restored = Serial8250.Restore(saved, irq, new RecordingSink());
        var again = restored.Save();

        Assert.Equal(saved with { ReceiveFifo = [] }, again with { ReceiveFifo = [] });
        Assert.Equal(saved.ReceiveFifo, again.ReceiveFifo);
        Assert.Equal(0, irq.Count);
        Assert.Equal(0x1B, restored.In8(Lcr));
        Assert.Equal(0xC0 | IirRda, restored.In8(Iir));
        Assert.Equal((byte)'h', restored.In8(Data));
        Assert.Equal((byte)'i', restored.In8(Data));
    }

    public static TheoryData<string, Func<Serial8250State, Serial8250State>> BadStates => new()
    {
        { "future version", s => s with { Version = Serial8250State.CurrentVersion + 1 } },
        { "IER extension bits", s => s with { InterruptEnable = 0x10 } },
        { "MCR upper bits", s => s with { ModemControl = 0x20 } },
        { "MSR line bits as deltas", s => s with { ModemStatusDelta = 0x10 } },
        { "FCR bits without FIFO enable", s => s with { FifoControl = 0xC0 } },
        { "FIFO over capacity", s => s with { ReceiveFifo = new byte[Serial8250.InputFifoCapacity + 1] } },
        { "FIFO missing", s => s with { ReceiveFifo = null! } },
    };

    [Theory]
    [MemberData(nameof(BadStates))]
    public void Restore_refuses_a_state_the_uart_could_not_have_saved(string why, Func<Serial8250State, Serial8250State> spoil)
    {
        _ = why; // names the case in the test report
        var bad = spoil(_uart.Save());

        var error = Assert.Throws<DeviceStateException>(() => Serial8250.Restore(bad, _irq, _sink));
        Assert.Equal(nameof(Serial8250), error.Device);
    }

    [Fact]
    public void Stream_sink_goes_quiet_instead_of_throwing_when_its_stream_fails()
    {
        var stream = new MemoryStream();
        var sink = new StreamSerialSink(stream);
        var uart = new Serial8250(_irq, sink);
        uart.Out8(Data, (byte)'a');
        stream.Dispose();

        uart.Out8(Data, (byte)'b');

        Assert.True(sink.IsBroken);
        Assert.Equal(LsrThre, uart.In8(Lsr) & LsrThre);
    }
}

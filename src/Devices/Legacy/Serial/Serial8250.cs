using Tern.Devices.Bus;
using Tern.Devices.Interrupts;
using static Tern.Devices.Legacy.Serial.UartRegisters;

namespace Tern.Devices.Legacy.Serial;

/// <summary>
/// A 16550A UART, eight registers; the board puts it at COM1 (<see cref="Tern.Kvm.Arch.PcIoPorts"/>).
/// <para>
/// Transmission is instant: a byte written to THR goes straight to the sink, so THR and the
/// transmitter always read empty (LSR bits 5 and 6), which is all a polling writer waits for.
/// Host input arrives through <see cref="EnqueueInput"/> into a bounded 64-byte receive FIFO.
/// </para>
/// <para>
/// IIR is computed from the pending conditions and IER on every read, with the datasheet's
/// priorities (line status, received data, THR empty, modem status). The edge line is pulsed
/// whenever a condition becomes pending and enabled, and for every batch of host input (as
/// vm-superio does); never in loopback mode, where a PC's OUT2 gate keeps the IRQ off the bus.
/// </para>
/// </summary>
public sealed class Serial8250 : IBusDevice
{
    public const int InputFifoCapacity = 64;

    private readonly Lock _lock = new();
    private readonly IInterruptLine _irq;
    private readonly ISerialSink _sink;
    private readonly Queue<byte> _input = new(InputFifoCapacity);

    private ushort _divisor = DefaultDivisor;
    private byte _ier;
    private byte _fcr;
    private byte _lcr = DefaultLineControl;
    private byte _mcr = DefaultModemControl;
    private byte _msrDelta;
    private byte _scratch;
    private bool _overrun;
    private bool _thrEmptyPending;

    public Serial8250(IInterruptLine irq, ISerialSink sink)
    {
        ArgumentNullException.ThrowIfNull(irq);
        ArgumentNullException.ThrowIfNull(sink);
        _irq = irq;
        _sink = sink;
    }

    private bool Dlab => (_lcr & LcrDlab) != 0;

    private bool Loopback => (_mcr & McrLoop) != 0;

    public void Read(ulong offset, Span<byte> data)
    {
        // Wider accesses are split into byte accesses at consecutive ports, as on the ISA bus.
        lock (_lock)
        {
            for (int i = 0; i < data.Length; i++)
                data[i] = ReadRegister(offset + (ulong)i);
        }
    }

    public void Write(ulong offset, ReadOnlySpan<byte> data)
    {
        bool raise = false;
        lock (_lock)
        {
            for (int i = 0; i < data.Length; i++)
            {
                byte before = SignalledConditions();
                WriteRegister(offset + (ulong)i, data[i]);
                raise |= (SignalledConditions() & ~before) != 0;
            }
        }
        if (raise) _irq.Trigger();
    }

    /// <summary>
    /// Host input (a stdin thread): takes as many bytes as the receive FIFO has room for and
    /// returns that count, so the caller keeps the rest and retries later. Nothing is taken in
    /// loopback mode, where the receiver listens to the transmitter only.
    /// </summary>
    public int EnqueueInput(ReadOnlySpan<byte> bytes)
    {
        int taken;
        bool raise;
        lock (_lock)
        {
            if (Loopback) return 0;
            taken = Math.Min(bytes.Length, InputFifoCapacity - _input.Count);
            for (int i = 0; i < taken; i++) _input.Enqueue(bytes[i]);
            raise = taken > 0 && (_ier & IerReceivedData) != 0;
        }
        if (raise) _irq.Trigger();
        return taken;
    }

    private byte ReadRegister(ulong offset)
    {
        switch (offset)
        {
            case Data when Dlab: return (byte)_divisor;
            case Data: return _input.TryDequeue(out byte b) ? b : (byte)0;
            case InterruptEnable when Dlab: return (byte)(_divisor >> 8);
            case InterruptEnable: return _ier;
            case InterruptId: return ReadInterruptId();
            case LineControl: return _lcr;
            case ModemControl: return _mcr;
            case LineStatus: return ReadLineStatus();
            case ModemStatus:
                byte msr = (byte)(ModemLines(_mcr) | _msrDelta);
                _msrDelta = 0;
                return msr;
            case Scratch: return _scratch;
            default: return 0xFF;
        }
    }

    private void WriteRegister(ulong offset, byte value)
    {
        switch (offset)
        {
            case Data when Dlab:
                _divisor = (ushort)((_divisor & 0xFF00) | value);
                break;
            case Data:
                Transmit(value);
                break;
            case InterruptEnable when Dlab:
                _divisor = (ushort)((_divisor & 0x00FF) | (value << 8));
                break;
            case InterruptEnable:
                byte enabled = (byte)(value & IerMask);
                // Enabling the THR-empty interrupt while THR is empty (it always is) raises it.
                if ((enabled & ~_ier & IerThrEmpty) != 0) _thrEmptyPending = true;
                _ier = enabled;
                break;
            case InterruptId: // FCR, reachable whatever DLAB says
                WriteFifoControl(value);
                break;
            case LineControl:
                _lcr = value;
                break;
            case ModemControl:
                WriteModemControl(value);
                break;
            case Scratch:
                _scratch = value;
                break;
            // LSR and MSR writes are factory-test features: ignored.
        }
    }

    private void Transmit(byte value)
    {
        _thrEmptyPending = false; // writing THR acknowledges the THR-empty interrupt
        if (Loopback)
        {
            if (_input.Count < InputFifoCapacity) _input.Enqueue(value);
            else _overrun = true;
        }
        else
        {
            _sink.Write([value]);
        }
        _thrEmptyPending = true; // the byte left at once: THR is empty again
    }

    private void WriteFifoControl(byte value)
    {
        // Toggling the enable bit resets both FIFOs, as the clear bit does.
        if (((value ^ _fcr) & FcrEnable) != 0 || (value & FcrClearReceive) != 0) _input.Clear();
        _fcr = (value & FcrEnable) != 0 ? (byte)(value & FcrKeptBits) : (byte)0;
    }

    private void WriteModemControl(byte value)
    {
        byte before = ModemLines(_mcr);
        _mcr = (byte)(value & McrMask);
        byte after = ModemLines(_mcr);
        byte changed = (byte)(before ^ after);
        if ((changed & MsrCts) != 0) _msrDelta |= MsrDeltaCts;
        if ((changed & MsrDsr) != 0) _msrDelta |= MsrDeltaDsr;
        if ((before & ~after & MsrRi) != 0) _msrDelta |= MsrTrailingEdgeRi;
        if ((changed & MsrDcd) != 0) _msrDelta |= MsrDeltaDcd;
    }

    /// <summary>
    /// In loopback the modem inputs are wired to the outputs: RTS to CTS, DTR to DSR, OUT1 to RI
    /// and OUT2 to DCD. Linux's probe writes LOOP|OUT2|RTS and expects DCD|CTS (0x90) back.
    /// </summary>
    private static byte ModemLines(byte mcr)
    {
        if ((mcr & McrLoop) == 0) return MsrConnectedLines;
        byte lines = 0;
        if ((mcr & McrRts) != 0) lines |= MsrCts;
        if ((mcr & McrDtr) != 0) lines |= MsrDsr;
        if ((mcr & McrOut1) != 0) lines |= MsrRi;
        if ((mcr & McrOut2) != 0) lines |= MsrDcd;
        return lines;
    }

    private byte ReadLineStatus()
    {
        byte lsr = LsrThrEmpty | LsrTransmitterEmpty;
        if (_input.Count > 0) lsr |= LsrDataReady;
        if (_overrun) lsr |= LsrOverrun;
        _overrun = false; // reading LSR clears the error bits
        return lsr;
    }

    private byte ReadInterruptId()
    {
        byte id = InterruptIdentification((byte)(PendingConditions() & _ier));
        if (id == IirThrEmpty) _thrEmptyPending = false; // reading IIR acknowledges THR empty
        byte fifoBits = (_fcr & FcrEnable) != 0 ? IirFifosEnabled : (byte)0;
        return (byte)(id | fifoBits);
    }

    private static byte InterruptIdentification(byte enabledPending)
    {
        if ((enabledPending & IerLineStatus) != 0) return IirLineStatus;
        if ((enabledPending & IerReceivedData) != 0) return IirReceivedData;
        if ((enabledPending & IerThrEmpty) != 0) return IirThrEmpty;
        if ((enabledPending & IerModemStatus) != 0) return IirModemStatus;
        return IirNone;
    }

    /// <summary>The interrupt conditions present, as a mask of the IER bits that enable them.</summary>
    private byte PendingConditions()
    {
        byte pending = 0;
        if (_overrun) pending |= IerLineStatus;
        if (_input.Count > 0) pending |= IerReceivedData;
        if (_thrEmptyPending) pending |= IerThrEmpty;
        if (_msrDelta != 0) pending |= IerModemStatus;
        return pending;
    }

    /// <summary>The enabled, pending conditions that reach the interrupt line (none in loopback).</summary>
    private byte SignalledConditions() => Loopback ? (byte)0 : (byte)(PendingConditions() & _ier);

    public Serial8250State Save()
    {
        lock (_lock)
        {
            return new Serial8250State(
                Serial8250State.CurrentVersion, _divisor, _ier, _fcr, _lcr, _mcr, _msrDelta, _scratch,
                _overrun, _thrEmptyPending, _input.ToArray());
        }
    }

    /// <summary>
    /// Rebuilds a UART from a saved state after checking every field. No interrupt is raised:
    /// the interrupt controller's own state travels with the machine.
    /// </summary>
    /// <exception cref="DeviceStateException">The state is not one this UART could have saved.</exception>
    public static Serial8250 Restore(Serial8250State state, IInterruptLine irq, ISerialSink sink)
    {
        ArgumentNullException.ThrowIfNull(state);
        state.Validate();
        var uart = new Serial8250(irq, sink)
        {
            _divisor = state.Divisor,
            _ier = state.InterruptEnable,
            _fcr = state.FifoControl,
            _lcr = state.LineControl,
            _mcr = state.ModemControl,
            _msrDelta = state.ModemStatusDelta,
            _scratch = state.Scratch,
            _overrun = state.Overrun,
            _thrEmptyPending = state.ThrEmptyPending,
        };
        foreach (byte b in state.ReceiveFifo) uart._input.Enqueue(b);
        return uart;
    }
}

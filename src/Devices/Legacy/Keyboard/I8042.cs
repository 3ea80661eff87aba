using Tern.Devices.Bus;
using Tern.Devices.Interrupts;
using static Tern.Devices.Legacy.Keyboard.I8042Registers;

namespace Tern.Devices.Legacy.Keyboard;

/// <summary>
/// The PC keyboard controller (8042) with a PS/2 keyboard and no mouse port. It exists so that
/// Linux's i8042 probe finds a working controller and keyboard, and so that reboot=k works:
/// command 0xFE, or an output-port write with bit 0 clear, pulses the CPU reset line, which
/// calls <c>onReset</c> (on the vCPU thread that wrote, outside the device lock).
/// <para>
/// The controller answers data port 0x60 and command/status port 0x64; port 0x61 between them
/// belongs to someone else, so the two are inserted as separate one-port ranges:
/// <see cref="DataPort"/> at 0x60 and <see cref="CommandPort"/> at 0x64.
/// </para>
/// <para>
/// Commands take effect at once, so the input buffer is never full. A controller reply waits in
/// the output buffer ahead of keyboard bytes; a newer reply replaces an unread one. IRQ 1 is
/// pulsed when a keyboard byte becomes readable and the configuration byte enables it (replies
/// to controller commands are polled for, and raise nothing). There is no AUX device: the AUX
/// loop-back test answers on the keyboard channel and the AUX interface test reports a stuck
/// clock, which makes Linux's i8042_check_aux give up at once rather than after a timeout.
/// </para>
/// </summary>
public sealed class I8042
{
    public const ushort DataPortAddress = 0x60;
    public const ushort CommandPortAddress = 0x64;
    public const uint KeyboardIrq = 1;

    private readonly Lock _lock = new();
    private readonly Action _onReset;
    private readonly IInterruptLine? _keyboardIrq;
    private readonly Ps2Keyboard _keyboard = new();
    private readonly byte[] _ram = new byte[RamSize];
    private byte _outputPort = DefaultOutputPort;
    private byte _pendingCommand;
    private bool _lastWriteWasCommand;
    private byte? _controllerReply;
    private byte? _keyboardByte;
    private byte _lastRead;

    /// <param name="onReset">Called when the guest pulses the reset line.</param>
    /// <param name="keyboardIrq">ISA IRQ 1, or null to run without keyboard interrupts.</param>
    public I8042(Action onReset, IInterruptLine? keyboardIrq = null)
    {
        ArgumentNullException.ThrowIfNull(onReset);
        _onReset = onReset;
        _keyboardIrq = keyboardIrq;
        _ram[0] = DefaultCtr;
        DataPort = new I8042Port(this, isDataPort: true);
        CommandPort = new I8042Port(this, isDataPort: false);
    }

    /// <summary>Port 0x60 (insert with length 1): output buffer on read, data/parameters on write.</summary>
    public IBusDevice DataPort { get; }

    /// <summary>Port 0x64 (insert with length 1): status on read, controller commands on write.</summary>
    public IBusDevice CommandPort { get; }

    private byte Ctr => _ram[0];

    private bool KeyboardByteVisible => _controllerReply is null && _keyboardByte is not null;

    private bool KeyboardInterruptEnabled => (Ctr & CtrKeyboardInterrupt) != 0;

    internal byte ReadPort(bool isDataPort)
    {
        bool raise = false;
        byte value;
        lock (_lock)
        {
            value = isDataPort ? ReadData(out raise) : ReadStatus();
        }
        if (raise) _keyboardIrq?.Trigger();
        return value;
    }

    internal void WritePort(bool isDataPort, byte value)
    {
        bool raise, reset = false;
        lock (_lock)
        {
            bool keyboardSignalled = KeyboardByteVisible && KeyboardInterruptEnabled;
            if (isDataPort) WriteData(value, out reset);
            else WriteCommand(value, out reset);
            // A keyboard byte that has just become readable (and enabled) is a new interrupt.
            raise = !keyboardSignalled && KeyboardByteVisible && KeyboardInterruptEnabled;
        }
        if (raise) _keyboardIrq?.Trigger();
        if (reset) _onReset();
    }

    private byte ReadStatus()
    {
        byte status = StatusNotInhibited;
        if (_controllerReply is not null || _keyboardByte is not null) status |= StatusOutputFull;
        if ((Ctr & CtrSystemFlag) != 0) status |= StatusSystemFlag;
        if (_lastWriteWasCommand) status |= StatusLastWriteWasCommand;
        return status;
    }

    private byte ReadData(out bool raise)
    {
        byte value;
        if (_controllerReply is byte reply)
        {
            value = reply;
            _controllerReply = null;
        }
        else if (_keyboardByte is byte key)
        {
            value = key;
            _keyboardByte = null;
        }
        else
        {
            value = _lastRead; // an empty buffer reads back its last byte
        }
        _lastRead = value;
        PumpKeyboard();
        // Whatever keyboard byte is readable now was not before this read: a new interrupt.
        raise = KeyboardByteVisible && KeyboardInterruptEnabled;
        return value;
    }

    private void WriteData(byte value, out bool reset)
    {
        reset = false;
        _lastWriteWasCommand = false;
        byte command = _pendingCommand;
        _pendingCommand = 0;
        switch (command)
        {
            case 0:
                _keyboard.Receive(value, translated: (Ctr & CtrTranslate) != 0);
                break;
            case >= WriteRamFirst and <= WriteRamLast:
                _ram[command - WriteRamFirst] = value;
                break;
            case WriteOutputPort:
                _outputPort = value;
                reset = (value & OutputPortReset) == 0;
                break;
            case WriteKeyboardOutput:
                _keyboardByte = value;
                break;
            case WriteAuxOutput:
                Reply(value); // no AUX device: the loop-back byte comes back without the AUX status bit
                break;
            case WriteAux:
                break; // no AUX device to receive it
        }
        PumpKeyboard();
    }

    private void WriteCommand(byte command, out bool reset)
    {
        reset = false;
        _lastWriteWasCommand = true;
        _pendingCommand = ExpectsData(command) ? command : (byte)0;
        switch (command)
        {
            case >= ReadRamFirst and <= ReadRamLast:
                Reply(_ram[command - ReadRamFirst]);
                break;
            case DisableAux:
                _ram[0] |= CtrAuxDisabled;
                break;
            case EnableAux:
                _ram[0] &= unchecked((byte)~CtrAuxDisabled);
                break;
            case TestAux:
                Reply(AuxClockStuckLow);
                break;
            case SelfTest:
                _ram[0] |= CtrSystemFlag;
                Reply(SelfTestPassed);
                break;
            case TestKeyboard:
                Reply(InterfaceTestPassed);
                break;
            case DisableKeyboard:
                _ram[0] |= CtrKeyboardDisabled;
                break;
            case EnableKeyboard:
                _ram[0] &= unchecked((byte)~CtrKeyboardDisabled);
                PumpKeyboard();
                break;
            case ReadOutputPort:
                Reply(OutputPortValue());
                break;
            case DisableA20:
                _outputPort &= unchecked((byte)~OutputPortA20);
                break;
            case EnableA20:
                _outputPort |= OutputPortA20;
                break;
            case >= PulseOutputFirst:
                reset = (command & OutputPortReset) == 0; // 0xFE pulses bit 0 only
                break;
        }
    }

    private void Reply(byte value) => _controllerReply = value;

    /// <summary>Moves the keyboard's next byte into the output buffer when it is free and the keyboard is enabled.</summary>
    private void PumpKeyboard()
    {
        if (_keyboardByte is null && (Ctr & CtrKeyboardDisabled) == 0 && _keyboard.TryDequeue(out byte next))
            _keyboardByte = next;
    }

    private byte OutputPortValue()
    {
        byte value = (byte)(_outputPort & ~(OutputPortKeyboardFull | OutputPortAuxFull));
        if (KeyboardByteVisible) value |= OutputPortKeyboardFull;
        return value;
    }

    public I8042State Save()
    {
        lock (_lock)
        {
            return new I8042State(
                I8042State.CurrentVersion, (byte[])_ram.Clone(), _outputPort, _pendingCommand, _lastWriteWasCommand,
                _controllerReply, _keyboardByte, _keyboard.Save());
        }
    }

    /// <exception cref="DeviceStateException">The state is not one this controller could have saved.</exception>
    public static I8042 Restore(I8042State state, Action onReset, IInterruptLine? keyboardIrq = null)
    {
        ArgumentNullException.ThrowIfNull(state);
        state.Validate();
        var controller = new I8042(onReset, keyboardIrq)
        {
            _outputPort = state.OutputPort,
            _pendingCommand = state.PendingCommand,
            _lastWriteWasCommand = state.LastWriteWasCommand,
            _controllerReply = state.ControllerReply,
            _keyboardByte = state.KeyboardByte,
        };
        state.Ram.CopyTo(controller._ram, 0);
        controller._keyboard.Load(state.Keyboard);
        return controller;
    }
}

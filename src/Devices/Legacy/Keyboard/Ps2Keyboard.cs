namespace Tern.Devices.Legacy.Keyboard;

/// <summary>
/// A PS/2 keyboard behind the 8042 that answers the host's commands (reset, identify, LEDs,
/// typematic rate, scan-code set, enable/disable), so Linux's atkbd finds a keyboard quickly
/// instead of timing out. It has no keys: it never sends a scan code. Guarded by the
/// controller's lock.
/// </summary>
internal sealed class Ps2Keyboard
{
    public const int QueueCapacity = 16;

    // Commands from the host.
    private const byte SetLeds = 0xED;
    private const byte Echo = 0xEE;
    private const byte ScancodeSet = 0xF0;
    private const byte GetId = 0xF2;
    private const byte SetTypematic = 0xF3;
    private const byte EnableScanning = 0xF4;
    private const byte DisableScanning = 0xF5;
    private const byte SetDefaults = 0xF6;
    private const byte Reset = 0xFF;

    // Replies.
    private const byte Ack = 0xFA;
    private const byte Resend = 0xFE;
    private const byte SelfTestPassed = 0xAA;
    private const byte IdFirst = 0xAB;
    private const byte IdSecond = 0x83;
    private const byte IdSecondTranslated = 0x41; // what the 8042 makes of 0x83 in translation mode

    private const byte DefaultScancodeSet = 2;
    private const byte DefaultTypematic = 0x2B; // 10.9 characters/s after 500 ms

    private readonly Queue<byte> _output = new(QueueCapacity);
    private byte _awaitingParameterFor;
    private bool _scanning = true;
    private byte _scancodeSet = DefaultScancodeSet;
    private byte _leds;
    private byte _typematic = DefaultTypematic;

    public bool TryDequeue(out byte value) => _output.TryDequeue(out value);

    /// <summary>A byte the host sent to the keyboard: a command or a command's parameter.</summary>
    public void Receive(byte value, bool translated)
    {
        if (_awaitingParameterFor != 0)
        {
            byte command = _awaitingParameterFor;
            _awaitingParameterFor = 0;
            // A byte that is no valid parameter is taken as a new command, aborting the first.
            if (ReceiveParameter(command, value)) return;
        }

        switch (value)
        {
            case SetLeds or SetTypematic or ScancodeSet:
                _awaitingParameterFor = value;
                Send(Ack);
                break;
            case Echo:
                Send(Echo);
                break;
            case GetId:
                Send(Ack);
                Send(IdFirst);
                Send(translated ? IdSecondTranslated : IdSecond);
                break;
            case EnableScanning:
                _scanning = true;
                Send(Ack);
                break;
            case DisableScanning:
                SetDefaultParameters();
                _scanning = false;
                Send(Ack);
                break;
            case SetDefaults:
                SetDefaultParameters();
                Send(Ack);
                break;
            case Reset:
                _output.Clear();
                SetDefaultParameters();
                _scanning = true;
                Send(Ack);
                Send(SelfTestPassed);
                break;
            case >= 0xF7 and <= 0xFD: // scan-set-3 key types and resend: nothing to do
                Send(Ack);
                break;
            default:
                Send(Resend);
                break;
        }
    }

    /// <summary>Applies a parameter; false when the byte was a new command after all.</summary>
    private bool ReceiveParameter(byte command, byte value)
    {
        switch (command)
        {
            case SetLeds when value <= 0x07:
                _leds = value;
                Send(Ack);
                return true;
            case SetTypematic when value <= 0x7F:
                _typematic = value;
                Send(Ack);
                return true;
            case ScancodeSet when value == 0:
                Send(Ack);
                Send(_scancodeSet);
                return true;
            case ScancodeSet when value <= 3:
                _scancodeSet = value;
                Send(Ack);
                return true;
            default:
                return false;
        }
    }

    private void SetDefaultParameters()
    {
        _scancodeSet = DefaultScancodeSet;
        _typematic = DefaultTypematic;
        _leds = 0;
    }

    private void Send(byte value)
    {
        // A real keyboard has a 16-byte buffer too; a host that never reads loses the newest replies.
        if (_output.Count < QueueCapacity) _output.Enqueue(value);
    }

    public Ps2KeyboardState Save() =>
        new(_output.ToArray(), _awaitingParameterFor, _scanning, _scancodeSet, _leds, _typematic);

    public void Load(Ps2KeyboardState state)
    {
        _output.Clear();
        foreach (byte b in state.Output) _output.Enqueue(b);
        _awaitingParameterFor = state.AwaitingParameterFor;
        _scanning = state.Scanning;
        _scancodeSet = state.ScancodeSet;
        _leds = state.Leds;
        _typematic = state.Typematic;
    }

    internal static bool IsParameterCommand(byte command) => command is 0 or SetLeds or SetTypematic or ScancodeSet;
}

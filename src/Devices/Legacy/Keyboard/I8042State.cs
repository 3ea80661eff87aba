using System.Diagnostics.CodeAnalysis;
using static Tern.Devices.Legacy.Keyboard.I8042Registers;

namespace Tern.Devices.Legacy.Keyboard;

/// <summary>The saved state of an <see cref="I8042"/> and its keyboard.</summary>
/// <param name="Ram">The controller's 32 bytes of RAM; byte 0 is the configuration byte.</param>
/// <param name="PendingCommand">The command whose data byte comes next on port 0x60, or 0.</param>
/// <param name="ControllerReply">An unread reply to a controller command.</param>
/// <param name="KeyboardByte">An unread keyboard byte in the output buffer (behind any reply).</param>
public sealed record I8042State(
    int Version,
    byte[] Ram,
    byte OutputPort,
    byte PendingCommand,
    bool LastWriteWasCommand,
    byte? ControllerReply,
    byte? KeyboardByte,
    Ps2KeyboardState Keyboard)
{
    public const int CurrentVersion = 1;

    internal void Validate()
    {
        if (Version != CurrentVersion) Fail($"version {Version}, expected {CurrentVersion}");
        if (Ram is null || Ram.Length != RamSize) Fail($"RAM of {Ram?.Length ?? 0} bytes, expected {RamSize}");
        if (PendingCommand != 0 && !ExpectsData(PendingCommand))
            Fail($"pending command 0x{PendingCommand:x2} takes no data byte");
        if (Keyboard is null) Fail("keyboard state missing");
        if (Keyboard.Output is null || Keyboard.Output.Length > Ps2Keyboard.QueueCapacity)
            Fail($"keyboard holds {Keyboard.Output?.Length ?? 0} bytes, at most {Ps2Keyboard.QueueCapacity}");
        if (!Ps2Keyboard.IsParameterCommand(Keyboard.AwaitingParameterFor))
            Fail($"keyboard awaits a parameter for 0x{Keyboard.AwaitingParameterFor:x2}, which takes none");
        if (Keyboard.ScancodeSet is < 1 or > 3) Fail($"scan-code set {Keyboard.ScancodeSet}");
        if (Keyboard.Leds > 0x07) Fail($"keyboard LEDs 0x{Keyboard.Leds:x2}");
        if (Keyboard.Typematic > 0x7F) Fail($"typematic rate 0x{Keyboard.Typematic:x2}");
    }

    [DoesNotReturn]
    private static void Fail(string problem) => throw new DeviceStateException(nameof(I8042), problem);
}

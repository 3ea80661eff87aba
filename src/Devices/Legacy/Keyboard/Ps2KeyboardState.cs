namespace Tern.Devices.Legacy.Keyboard;

/// <summary>The saved state of the PS/2 keyboard behind an <see cref="I8042"/>.</summary>
/// <param name="Output">Replies not yet moved to the controller, oldest first.</param>
/// <param name="AwaitingParameterFor">The command (0xED, 0xF3, 0xF0) whose parameter comes next, or 0.</param>
public sealed record Ps2KeyboardState(
    byte[] Output,
    byte AwaitingParameterFor,
    bool Scanning,
    byte ScancodeSet,
    byte Leds,
    byte Typematic);

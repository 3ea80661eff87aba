namespace Tern.Devices.Board;

/// <summary>Where the guest's serial console goes and where its input comes from (either may be absent).</summary>
public sealed record MachineConsole(Stream? Output, Stream? Input)
{
    public static readonly MachineConsole None = new(null, null);
}

/// <summary>A power transition a device asked for on behalf of the guest.</summary>
public enum MachinePowerEvent { PowerOff, Reset }

/// <summary>The machine could not be built from its configuration; the message names the culprit.</summary>
public sealed class MachineException(string message, Exception? inner = null) : Exception(message, inner);

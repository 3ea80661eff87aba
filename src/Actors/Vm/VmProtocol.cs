namespace Tern.Actors.Vm;

/// <summary>The public message protocol of a <see cref="VmActor"/>.</summary>
public static class VmProtocol
{
    public interface IVmMessage;

    /// <summary>Build the machine and start its vCPUs; replied with <see cref="Booted"/> or <see cref="BootFailed"/>.</summary>
    public sealed record Boot : IVmMessage;

    public sealed record Booted : IVmMessage;

    /// <summary>The machine could not be built (bad kernel, KVM error ...); the actor stops itself.</summary>
    public sealed record BootFailed(string Reason) : IVmMessage;

    /// <summary>Ask to be told once, with <see cref="VmExited"/>, when the VM has ended.</summary>
    public sealed record WatchExit : IVmMessage;

    /// <summary>The VM has ended: the process exit code a standalone tern should use, and why.</summary>
    public sealed record VmExited(int ExitCode, string Reason) : IVmMessage;

    /// <summary>Something inside the machine (a device, on a vCPU thread) asked for a power transition.</summary>
    public sealed record GuestRequest(GuestRequestKind Kind) : IVmMessage;

    public enum GuestRequestKind { PowerOff, Reset }
}

namespace Tern.Devices.Board;

/// <summary>What a vCPU exit means for the thread running that vCPU.</summary>
public enum VcpuOutcomeKind
{
    /// <summary>Handled; enter the guest again.</summary>
    Continue,
    /// <summary>KVM_RUN was interrupted by a kick: look at the control state before re-entering.</summary>
    Interrupted,
    /// <summary>The guest powered off.</summary>
    PowerOff,
    /// <summary>The guest asked for a reset (reboot).</summary>
    Reset,
    /// <summary>The vCPU cannot continue (triple fault, KVM internal error, failed entry).</summary>
    Fault,
}

public readonly record struct VcpuOutcome(VcpuOutcomeKind Kind, string? Detail = null)
{
    public static readonly VcpuOutcome Continue = new(VcpuOutcomeKind.Continue);
    public static readonly VcpuOutcome Interrupted = new(VcpuOutcomeKind.Interrupted);
}

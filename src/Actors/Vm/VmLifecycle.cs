namespace Tern.Actors.Vm;

/// <summary>A lifecycle command a user (QMP, HTTP, cluster) can give a VM.</summary>
public enum VmCommand { Stop, Cont, SystemReset, SystemPowerdown, Quit }

/// <summary>What the VM must do for a command: nothing, change state, or refuse.</summary>
public abstract record VmDecision
{
    /// <summary>Accepted; the VM is already where the command leads (QEMU answers success).</summary>
    public sealed record NoChange : VmDecision;

    /// <summary>Accepted: pause the vCPUs and become <see cref="VmRunState.Paused"/>.</summary>
    public sealed record Pause : VmDecision;

    /// <summary>Accepted: resume the vCPUs and become <see cref="VmRunState.Running"/>.</summary>
    public sealed record Resume : VmDecision;

    /// <summary>Accepted: rebuild the machine and boot the kernel again, keeping the paused/running state.</summary>
    public sealed record Reset : VmDecision;

    /// <summary>Accepted: press the ACPI power button; the guest decides what to do.</summary>
    public sealed record PressPowerButton : VmDecision;

    /// <summary>Accepted: end the VM and the process (exit code 0).</summary>
    public sealed record End : VmDecision;

    public sealed record Refuse(string Reason) : VmDecision;
}

/// <summary>The pure rules of a VM's lifecycle: which command is legal in which state, and what it does.</summary>
public static class VmLifecycle
{
    public static VmDecision Decide(VmRunState state, VmCommand command) => (command, state) switch
    {
        (VmCommand.Quit, _) => new VmDecision.End(),
        (_, VmRunState.Migrating) => new VmDecision.Refuse($"'{Name(command)}' is not allowed while a migration is running"),
        (_, VmRunState.Shutdown) => new VmDecision.Refuse("the VM has shut down"),
        (_, VmRunState.Created) => new VmDecision.Refuse("the VM has not started yet"),

        (VmCommand.Stop, VmRunState.Running) => new VmDecision.Pause(),
        (VmCommand.Stop, VmRunState.Paused or VmRunState.InMigrate or VmRunState.PostMigrate or VmRunState.Saved) => new VmDecision.NoChange(),

        (VmCommand.Cont, VmRunState.Paused or VmRunState.Saved) => new VmDecision.Resume(),
        (VmCommand.Cont, VmRunState.Running) => new VmDecision.NoChange(),
        (VmCommand.Cont, VmRunState.InMigrate) => new VmDecision.Refuse("the VM is waiting for an incoming migration"),
        (VmCommand.Cont, VmRunState.PostMigrate) => new VmDecision.Refuse("the VM has migrated away; its state lives on the destination"),

        (VmCommand.SystemReset, VmRunState.Running or VmRunState.Paused) => new VmDecision.Reset(),
        (VmCommand.SystemPowerdown, VmRunState.Running or VmRunState.Paused) => new VmDecision.PressPowerButton(),
        (VmCommand.SystemReset or VmCommand.SystemPowerdown, _) =>
            new VmDecision.Refuse($"'{Name(command)}' is not allowed in state {state.QmpStatus()}"),

        _ => new VmDecision.Refuse($"'{Name(command)}' is not allowed in state {state.QmpStatus()}"),
    };

    /// <summary>The QMP spelling of a command, for messages.</summary>
    public static string Name(VmCommand command) => command switch
    {
        VmCommand.Stop => "stop",
        VmCommand.Cont => "cont",
        VmCommand.SystemReset => "system_reset",
        VmCommand.SystemPowerdown => "system_powerdown",
        _ => "quit",
    };
}

using Tern.Devices.Board;
using Tern.Kvm.Memory;

namespace Tern.Actors.Migration.Destination;

/// <summary>What the incoming side needs from the (paused, freshly built) VM that receives a migration.</summary>
public interface IMigrationDestination
{
    GuestMemory Memory { get; }

    /// <summary>Restores vCPUs, devices and KVM state; throws MachineException naming a component that does not fit.</summary>
    void RestoreState(IReadOnlyList<ComponentState> states);

    /// <summary>Runs the restore path once on the VM's own untouched state, so its one-time costs are paid before the guest's pause.</summary>
    void RehearseRestore();

    /// <summary>The console's kept output, when it keeps one: continued from the source's.</summary>
    IConsoleHistory? ConsoleHistory { get; }

    /// <summary>Lets the restored guest run.</summary>
    void ResumeGuest();
}

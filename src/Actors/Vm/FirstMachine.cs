using Tern.Devices.Board;
using Tern.Devices.Config;

namespace Tern.Actors.Vm;

/// <summary>
/// The machine for a VM's first boot, built before its <see cref="VmActor"/> exists, and its vCPUs
/// when they were started at once (<see cref="Running"/>).
/// </summary>
public sealed record FirstMachine(Machine Machine, EarlyVcpus? Running)
{
    /// <summary>
    /// Builds the machine for <paramref name="config"/> and, when the VM is to run as soon as it
    /// boots (no -S, no -incoming), starts its vCPUs too.
    /// </summary>
    public static FirstMachine Prepare(VmConfig config, MachineConsole console)
    {
        var machine = Machine.Create(config, console);
        bool runsAtBoot = !config.StartPaused && !config.AwaitsMigration;
        return new FirstMachine(machine, runsAtBoot ? EarlyVcpus.Start(machine) : null);
    }

    /// <summary>Frees a first machine that never booted, its vCPU threads stopped first.</summary>
    public void Discard()
    {
        Running?.StopUnadopted();
        Machine.Dispose();
    }
}

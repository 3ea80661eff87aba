using Tern.Actors.Migration.Wire;
using Tern.Devices.Board;
using Tern.Devices.Config;

namespace Tern.Actors.Migration;

/// <summary>
/// Runs the outgoing path's first-use costs (JIT, type loading, System.Text.Json's first encode)
/// once per process, before any `migrate`: measured at 50-70 ms between `migrate` and the first
/// page when left to the migration itself. Nothing here pauses the guest or writes its memory:
/// the stream goes to <see cref="Stream.Null"/> and devices save under their own locks. The
/// vCPUs' part is rehearsed by the migration itself, alongside its first pass.
/// </summary>
public static class MigrationWarmUp
{
    private static int _done;

    /// <summary>Does the work the first time it is called in this process; later calls return at once.</summary>
    public static void RunOnce(Machine machine, MigrationFingerprint fingerprint)
    {
        if (Interlocked.Exchange(ref _done, 1) == 1) return;
        try
        {
            StreamRehearsal.Setup(machine.Memory, fingerprint);
            var writer = new MigrationStreamWriter(Stream.Null, machine.Memory);
            var firstRegion = machine.Memory.Regions[0];
            writer.WriteRam([new PageRun(firstRegion.Start, 16)]);
            writer.WriteRoundEnd();
            foreach (var s in machine.SaveDeviceStates()) writer.WriteState(s.Id, s.Version, s.Data);
            writer.WriteEnd();
        }
        catch (Exception e) when (e is MachineException or Tern.Kvm.KvmException or MigrationStreamException or ObjectDisposedException)
        {
            // Only an optimisation: a real migration reports any such error itself.
        }
    }
}

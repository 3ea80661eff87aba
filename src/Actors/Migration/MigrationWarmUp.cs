using Tern.Actors.Migration.Engine.Wire;
using Tern.Devices.Board;
using Tern.Devices.Config;
using Tern.Kvm.Memory;

namespace Tern.Actors.Migration;

/// <summary>
/// Runs the outgoing path's first-use costs (JIT, type loading, System.Text.Json's first encode)
/// once per process, before any `migrate`: measured at 50-70 ms between `migrate` and the first
/// page when left to the migration itself. Nothing here touches guest memory: the pages written
/// come from a scratch memory and the stream goes to <see cref="Stream.Null"/>. The one pause is
/// the save rehearsal's: the first save of the vCPUs' state, which costs 30-50 ms
/// cold, is taken now rather than in a migration, where it showed as a guest pause beside the
/// switch-over's; it saves the devices too. The caller keeps the machine alive and the lifecycle
/// still meanwhile.
/// </summary>
public static class MigrationWarmUp
{
    private const ulong ScratchBytes = 64 << 10;
    private static int _done;

    /// <summary>Does the work the first time it is called in this process; later calls return at once.</summary>
    public static void RunOnce(MigrationFingerprint fingerprint, Action rehearseSave)
    {
        if (Interlocked.Exchange(ref _done, 1) == 1) return;
        try
        {
            using var scratch = new GuestMemory([(0, ScratchBytes)], new GuestMemoryBacking { TransparentHugePages = false });
            scratch.Write(0, [1]); // one data page, the rest zero ranges
            StreamRehearsal.Setup(scratch, fingerprint);
            var writer = new MigrationStreamWriter(Stream.Null, scratch);
            writer.WriteRam([new PageRun(0, ScratchBytes / 4096)]);
            writer.WriteRoundEnd();
            writer.WriteState(RunStateComponent.Id, RunStateComponent.Version, RunStateComponent.Encode(true));
            writer.WriteEnd();
            rehearseSave(); // saves the devices and the vCPUs (the states themselves are not needed)
        }
        catch (Exception e) when (e is MachineException or Tern.Kvm.KvmException or MigrationStreamException or Akka.Actor.AskTimeoutException)
        {
            // Only an optimisation: a real migration reports any such error itself.
        }
    }
}

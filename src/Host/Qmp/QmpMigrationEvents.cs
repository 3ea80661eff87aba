using Tern.Actors.Migration.Engine;
using Tern.Actors.Vm;

namespace Tern.Host.Qmp;

/// <summary>
/// What QMP announces of a VM's typed migration progress: with the `events` capability on, a
/// status change as MIGRATION and a finished pass as MIGRATION_PASS, in that order (QEMU's rule).
/// The figures stay for query-migrate; the outcome event adds nothing a client has not seen.
/// </summary>
public static class QmpMigrationEvents
{
    public static IEnumerable<VmEvent> Announcements(VmEvent.MigrationProgress p)
    {
        if (!p.EventsCapability) yield break;
        if (p.StatusChanged) yield return new VmEvent.Migration(p.At, p.Status.QmpName());
        if (p.PassEnded) yield return new VmEvent.MigrationPass(p.At, p.Pass);
    }
}

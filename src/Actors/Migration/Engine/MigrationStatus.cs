namespace Tern.Actors.Migration.Engine;

/// <summary>
/// A migration's status as query-migrate reports it (StratoVirt's lowercase names). Legal moves:
/// None -> Setup; Setup -> Active | Failed | Canceled; Active -> Completed | Failed | Canceled;
/// Completed, Failed and Canceled are final for that migration (a new `migrate` starts at Setup).
/// A replication (x-colo) goes Active -> Colo once its checkpoints begin, and Colo -> Completed
/// (the standby promoted, or the primary going on alone), Failed or Canceled; QEMU names it so.
/// </summary>
public enum MigrationStatus { None, Setup, Active, Completed, Failed, Canceled, Colo }

public static class MigrationStatusNames
{
    public static string QmpName(this MigrationStatus status) => status switch
    {
        MigrationStatus.None => "none",
        MigrationStatus.Setup => "setup",
        MigrationStatus.Active => "active",
        MigrationStatus.Completed => "completed",
        MigrationStatus.Failed => "failed",
        MigrationStatus.Colo => "colo",
        _ => "canceled",
    };

    public static bool IsFinal(this MigrationStatus status) =>
        status is MigrationStatus.Completed or MigrationStatus.Failed or MigrationStatus.Canceled or MigrationStatus.None;
}

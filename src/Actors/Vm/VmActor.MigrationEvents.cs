using Tern.Actors.Migration;
using Tern.Actors.Migration.Engine;
using static Tern.Actors.Migration.MigrationProtocol;

namespace Tern.Actors.Vm;

/// <summary>
/// Publishes the typed migration events (<see cref="VmEvent.MigrationProgress"/>,
/// <see cref="VmEvent.MigrationEnded"/>) to the VM's subscribers, so that QMP and the cluster
/// learn a migration's course and fate from the VM that knows them instead of polling it.
/// </summary>
public sealed partial class VmActor
{
    private MigrationSide _migrationSide;

    private sealed record MigrationProgressTick
    {
        public static readonly MigrationProgressTick Instance = new();
    }

    private void MigrationProgressHandlers() => Receive<MigrationProgressTick>(_ => OnMigrationProgressTick());

    /// <summary>From now until the migration child finishes, progress goes out every <see cref="VmEvent.MigrationProgress.Interval"/>.</summary>
    private void StartMigrationProgress(MigrationSide side)
    {
        _migrationSide = side;
        Timers.StartPeriodicTimer(nameof(MigrationProgressTick), MigrationProgressTick.Instance, VmEvent.MigrationProgress.Interval);
    }

    private void OnMigrationProgressTick()
    {
        if (_migration is null)
        {
            Timers.Cancel(nameof(MigrationProgressTick));
            return;
        }
        // A destination still listening has nothing to tell: it may wait for its source for hours.
        if (_migrationSide == MigrationSide.Incoming && _migrationInfo.Status == MigrationStatus.Setup) return;
        PublishMigrationProgress(statusChanged: false, passEnded: false);
    }

    private void PublishMigrationProgress(bool statusChanged, bool passEnded) =>
        Publish(new VmEvent.MigrationProgress(DateTimeOffset.UtcNow, _migrationSide, _migrationInfo, statusChanged, passEnded,
            _migrationParameters.Events));

    /// <summary>Once the VM has taken in how its migration ended (its run state is already the new one).</summary>
    private void PublishMigrationEnded(Finished f)
    {
        Timers.Cancel(nameof(MigrationProgressTick));
        Publish(new VmEvent.MigrationEnded(DateTimeOffset.UtcNow, _migrationSide, ResultOf(f.Info.Status), f.Info.ErrorDesc,
            LocationOf(f.Guest), _state, f.Info));
    }

    private static MigrationResult ResultOf(MigrationStatus status) => status switch
    {
        MigrationStatus.Completed => MigrationResult.Completed,
        MigrationStatus.Canceled => MigrationResult.Cancelled,
        _ => MigrationResult.Failed,
    };

    private static GuestLocation LocationOf(GuestAfterMigration guest) => guest switch
    {
        GuestAfterMigration.MovedAway => GuestLocation.MovedAway,
        GuestAfterMigration.InDoubt => GuestLocation.InDoubt,
        GuestAfterMigration.Discarded => GuestLocation.NotArrived,
        _ => GuestLocation.Here, // Unchanged, Arrived, ArrivedPaused
    };
}

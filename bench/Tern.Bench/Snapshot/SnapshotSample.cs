namespace Tern.Bench.Snapshot;

/// <summary>What one save showed (times in ms).</summary>
/// <param name="SaveMs">From `migrate` sent to query-migrate saying `completed`, polled every 20 ms.</param>
/// <param name="ReportedMs">The VMM's own query-migrate `total-time`.</param>
/// <param name="GuestRamResidentBytes">The source's guest RAM resident on the host just before `migrate` (smaps Rss).</param>
/// <param name="GuestPagesInUseBytes">Tern only: the guest's pages that are not zero, counted in its file (<see cref="GuestPagesInUse"/>).</param>
/// <param name="CheckBeforeMs">The median memory check on the source before `migrate`: what a check costs with the region in memory.</param>
public sealed record SaveFigures(double SaveMs, double ReportedMs, SnapshotFileSize File, long GuestRamResidentBytes, long? GuestPagesInUseBytes,
    double CheckBeforeMs);

/// <summary>What one restore showed (times in ms).</summary>
/// <param name="FirstTickMs">From the exec of the restoring process to the arrival of its first TICK line.</param>
/// <param name="FirstCheckMs">The first whole memory check on the restored guest (see <see cref="SoakCheck"/>).</param>
/// <param name="BeganInsideCheck">The guest resumed inside a check, so part of its region was touched before the first whole check.</param>
/// <param name="FirstLateMs">The guest's own `SOAK late` figure for its first tick, or null when that tick came on time.</param>
public sealed record RestoreFigures(double FirstTickMs, double FirstCheckMs, bool BeganInsideCheck, double? FirstLateMs);

/// <summary>One round of one VMM with one guest: the save, the restore from a warm page cache, and a cold one if measured; or why it failed.</summary>
public sealed record SnapshotSample(string Vmm, string Guest, int Round, SaveFigures? Save, RestoreFigures? Warm, RestoreFigures? Cold, string? Failure)
{
    public bool Succeeded => Failure is null;
}

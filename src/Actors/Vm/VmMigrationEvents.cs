using Tern.Actors.Migration.Engine;

namespace Tern.Actors.Vm;

/// <summary>Which end of a migration the publishing VM is.</summary>
public enum MigrationSide { Outgoing, Incoming }

/// <summary>How a migration ended (query-migrate's final statuses).</summary>
public enum MigrationResult { Completed, Failed, Cancelled }

/// <summary>Where the guest is once a migration has ended, seen from the VM that publishes it.</summary>
public enum GuestLocation
{
    /// <summary>It runs (or is paused) on this VM: a source that kept it, or a destination it arrived at.</summary>
    Here,
    /// <summary>Source: the destination took it over; this VM holds no guest any more.</summary>
    MovedAway,
    /// <summary>Source: the destination was told to take over but never confirmed; paused here, never resumed by itself.</summary>
    InDoubt,
    /// <summary>Destination: nothing usable arrived; this VM ends.</summary>
    NotArrived,
}

/// <summary>The typed migration events a VmActor publishes to its subscribers, on either end of a migration.</summary>
public abstract partial record VmEvent
{
    /// <summary>
    /// A migration under way, with query-migrate's figures in <paramref name="Info"/>. Published at
    /// each status change and each finished pre-copy pass, and every <see cref="Interval"/> in
    /// between while the migration runs (on the destination: once the source has connected), so
    /// a subscriber never needs to poll. The last one carries the final status, right before
    /// <see cref="MigrationEnded"/>.
    /// </summary>
    /// <param name="StatusChanged">The status differs from the previous event's (QMP's MIGRATION).</param>
    /// <param name="PassEnded">A pre-copy pass ended; <see cref="Pass"/> is its number (QMP's MIGRATION_PASS).</param>
    /// <param name="EventsCapability">The VM's `events` migration capability was on: monitors announce changes and passes (QEMU's rule).</param>
    public sealed record MigrationProgress(DateTimeOffset At, MigrationSide Side, MigrationInfo Info,
        bool StatusChanged, bool PassEnded, bool EventsCapability) : VmEvent(At)
    {
        /// <summary>How often progress is published between changes: at least twice a second, as `tern ctl migrate` shows it.</summary>
        public static readonly TimeSpan Interval = TimeSpan.FromMilliseconds(250);

        public MigrationStatus Status => Info.Status;
        public int Pass => Info.Round;
        public ulong BytesTransferred => Info.Ram?.Transferred ?? 0;
        public ulong BytesRemaining => Info.Ram?.Remaining ?? 0;
        /// <summary>Pages per second the guest dirtied in the last pass.</summary>
        public double DirtyPagesRate => Info.Ram?.DirtyPagesRate ?? 0;
        public long ExpectedDowntimeMs => Info.ExpectedDowntimeMs;
    }

    /// <summary>
    /// A migration ended, published once after its last <see cref="MigrationProgress"/>. By then the
    /// VM has taken the outcome in: <paramref name="State"/> is its run state now (what query-status
    /// answers). A `migrate` whose connection failed never started and ends with no event (its
    /// requester was told so).
    /// </summary>
    /// <param name="Reason">Why it failed (query-migrate's error-desc); null when it completed.</param>
    public sealed record MigrationEnded(DateTimeOffset At, MigrationSide Side, MigrationResult Result, string? Reason,
        GuestLocation Guest, VmRunState State, MigrationInfo Info) : VmEvent(At);
}

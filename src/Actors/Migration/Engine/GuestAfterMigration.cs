namespace Tern.Actors.Migration.Engine;

/// <summary>Where the guest stands when a migration ends.</summary>
public enum GuestAfterMigration
{
    /// <summary>Source: the guest runs (or stays paused) here as before.</summary>
    Unchanged,
    /// <summary>Source: the destination took the guest; this side is post-migrate.</summary>
    MovedAway,
    /// <summary>Source: the destination was told to take over but never confirmed; kept paused to never run twice.</summary>
    InDoubt,
    /// <summary>Source of a snapshot: the file holds the guest, which stays here paused with its memory and disks, so <c>cont</c> may resume it.</summary>
    Saved,
    /// <summary>Destination: the guest arrived and runs.</summary>
    Arrived,
    /// <summary>Destination: the guest arrived paused, as it was on the source.</summary>
    ArrivedPaused,
    /// <summary>Destination: nothing usable arrived; the process must end non-zero.</summary>
    Discarded,
}

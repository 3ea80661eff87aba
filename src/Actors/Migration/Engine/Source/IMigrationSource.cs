using Tern.Devices.Board;
using Tern.Kvm;
using Tern.Kvm.Memory;

namespace Tern.Actors.Migration.Engine.Source;

/// <summary>What the pre-copy sender needs from the VM it moves. Blocking calls, made from the sender's own thread.</summary>
public interface IMigrationSource
{
    GuestMemory Memory { get; }
    Tern.Kvm.Vm Vm { get; }

    /// <summary>Whether the guest was running when the migration began (a paused guest stays paused on the destination).</summary>
    bool GuestWasRunning { get; }

    /// <summary>Stops the vCPUs (if they run), then drains and flushes the devices. Returns the
    /// Stopwatch timestamp at which the guest stopped running (its downtime starts there).</summary>
    long PauseGuest();

    /// <summary>
    /// Undoes <see cref="PauseGuest"/>: devices work again, vCPUs run if they ran before. Returns
    /// the Stopwatch timestamp when the guest ran whole again (its pause ends there, before this call returns).
    /// </summary>
    long ResumeGuest();

    void SetThrottle(int percent);

    /// <summary>At the switch-over, paused and flushed: lets go of the disks' image locks so that the destination can take them.</summary>
    void UnlockDisks();

    /// <summary>After a failed switch-over, before the guest runs here again: takes the disks' locks back; throws MachineException naming the holder.</summary>
    void LockDisks();

    /// <summary>
    /// The VM is ending while its migration runs (stopped, or fenced off its cluster): its vCPUs
    /// are going, so a pause or resume must fail at once rather than wait for them, and the
    /// migration's teardown (and with it the guest's memory and disks) is not held up.
    /// </summary>
    void Abandon();

    /// <summary>
    /// Saves the state once and drops it, stopping the vCPUs for that moment, so the save path's
    /// one-time costs are paid before the switch-over pause instead of inside it. Does nothing
    /// once a save has been rehearsed in this process (by the migration warm-up or an earlier migration).
    /// </summary>
    void RehearseSave();

    IReadOnlyList<ComponentState> SaveState();

    /// <summary>The console's kept output, when it keeps one: sent with the final state.</summary>
    IConsoleHistory? ConsoleHistory { get; }

    /// <summary>What the guest sends to the world, which a replication holds until its checkpoint is committed.</summary>
    IHeldOutput Output { get; }

    /// <summary>The disk writes a replication's epoch <paramref name="epoch"/> made (held until committed), with the guest paused.</summary>
    IReadOnlyList<DiskWrite> DiskWritesOf(long epoch);

    /// <summary>The writable drives and their lengths, which a standby with its own disks gets a copy of.</summary>
    IReadOnlyList<(string DriveId, long Length)> WritableDrives { get; }

    /// <summary>From now on the guest's disk writes are held as epoch <paramref name="epoch"/>'s (call with the guest paused).</summary>
    void HoldDiskWrites(long epoch);

    /// <summary>Reads a drive's image, without held writes, from any thread.</summary>
    void ReadDisk(string driveId, Span<byte> into, long offset);
}

using Tern.Devices.Board;
using Tern.Kvm.Memory;

namespace Tern.Actors.Migration.Engine.Destination;

/// <summary>What the incoming side needs from the (paused, freshly built) VM that receives a migration.</summary>
public interface IMigrationDestination
{
    GuestMemory Memory { get; }

    /// <summary>Restores vCPUs, devices and KVM state; throws MachineException naming a component that does not fit.</summary>
    void RestoreState(IReadOnlyList<ComponentState> states);

    /// <summary>Runs the restore path once on the VM's own untouched state, so its one-time costs are paid before the guest's pause.</summary>
    void RehearseRestore();

    /// <summary>The console's kept output, when it keeps one: continued from the source's.</summary>
    IConsoleHistory? ConsoleHistory { get; }

    /// <summary>Takes the disks' image locks, which the source let go of at the switch-over; throws MachineException naming the image and its holder.</summary>
    void LockDisks();

    /// <summary>Lets go of them again when the source calls the switch-over off, so that it can take them back at once.</summary>
    void UnlockDisks();

    /// <summary>Lets the restored guest run.</summary>
    void ResumeGuest();

    /// <summary>
    /// A standby's devices stay still: restoring a checkpoint activates them, and a NIC must not
    /// write arriving frames into the memory of a guest that does not run (nor a disk serve it).
    /// </summary>
    void PauseDevices();

    /// <summary>A promoted standby's devices work again, before its guest resumes.</summary>
    void ResumeDevices();

    /// <summary>Why a replicated disk write cannot be applied here (no such drive, does not fit), or null.</summary>
    string? CheckDiskWrite(string driveId, long offset, int length);

    /// <summary>
    /// Committed disk writes, in order: a standby with its own disks at each commit; one sharing its
    /// primary's, those the primary may not have flushed, once promoted and before its guest runs.
    /// </summary>
    void ApplyDiskWrites(IEnumerable<DiskWrite> writes);

    /// <summary>The writable drives' ids: a standby with its own disks must have a copy of each before checkpoint 0.</summary>
    IReadOnlyList<string> WritableDriveIds { get; }

    /// <summary>Empties a standby's own copy of a drive the primary's is <paramref name="length"/> bytes long, or says why it cannot.</summary>
    string? BeginDiskCopy(string driveId, long length);

    /// <summary>Writes part of a standby's copy of a drive (after <see cref="BeginDiskCopy"/> accepted it).</summary>
    void WriteDiskCopy(string driveId, long offset, ReadOnlySpan<byte> data);
}

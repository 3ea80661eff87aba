using Tern.Actors.Migration.Engine.Destination;
using Tern.Devices.Board;
using Tern.Kvm.Memory;

namespace Tern.Actors.Tests.Migration.Fuzz;

/// <summary>
/// A real destination machine on KVM whose vCPUs never run: restores go into KVM and the devices
/// for real, and the harness learns what the receiver did with it. Reused from case to case.
/// </summary>
internal sealed class FuzzDestination(Machine machine) : IMigrationDestination
{
    public GuestMemory Memory => machine.Memory;

    /// <summary>The states the last successful restore applied (null when none succeeded in this case).</summary>
    public IReadOnlyList<ComponentState>? Restored { get; private set; }

    public bool Resumed { get; private set; }

    /// <summary>A fresh console history each case, as a cluster destination has, for streams that carry one.</summary>
    public IConsoleHistory? ConsoleHistory { get; private set; }

    /// <summary>Runs when the receiver resumes the guest (a test's hook for what the source does meanwhile).</summary>
    public Action? AtResume { get; set; }

    public void StartCase()
    {
        Restored = null;
        Resumed = false;
        ConsoleHistory = new Tern.Actors.Vm.ConsoleRing(64 * 1024);
        AtResume = null;
    }

    public void RehearseRestore() => machine.RehearseRestore();

    public void RestoreState(IReadOnlyList<ComponentState> states)
    {
        machine.RestoreState(states);
        Restored = states;
    }

    public void LockDisks() => machine.LockDisks();

    public void UnlockDisks() => machine.UnlockDisks();

    public string? CheckDiskWrite(string driveId, long offset, int length) => machine.CheckDiskWrite(driveId, offset, length);

    public void ApplyDiskWrites(IEnumerable<DiskWrite> writes) => machine.ApplyDiskWrites(writes);

    public IReadOnlyList<string> WritableDriveIds => [.. machine.WritableDrives.Select(d => d.DriveId)];

    public string? BeginDiskCopy(string driveId, long length) => machine.BeginDiskCopy(driveId, length);

    public void WriteDiskCopy(string driveId, long offset, ReadOnlySpan<byte> data) => machine.WriteDiskCopy(driveId, offset, data);

    public void PauseDevices() => machine.PauseDevices();

    public void ResumeDevices() => machine.ResumeDevices();

    /// <summary>The guest would run now; it must not here, so only note it.</summary>
    public void ResumeGuest()
    {
        Resumed = true;
        AtResume?.Invoke();
    }
}

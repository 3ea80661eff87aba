using Akka.Actor;
using Tern.Actors.Migration.Engine.Destination;
using Tern.Actors.Migration.Engine.Source;
using Tern.Actors.Vm;
using Tern.Devices.Board;
using Tern.Kvm.Memory;

namespace Tern.Actors.Migration;

/// <summary>
/// A VM as the migration workers see it: its machine plus its vCPU group, driven with blocking
/// asks from the worker's own thread. The one exception is the VmActor's migration warm-up, which
/// rehearses a save from its handler once (the vCPU group answers on its own dispatcher thread).
/// </summary>
internal sealed class VmMigrationAccess(Machine machine, IActorRef vcpus, bool guestWasRunning) : IMigrationSource, IMigrationDestination
{
    /// <summary>Cancelled by <see cref="Abandon"/>: the VM is ending and its vCPUs go with it.</summary>
    private readonly CancellationTokenSource _abandoned = new();

    private static readonly TimeSpan Timeout = TimeSpan.FromSeconds(10);

    /// <summary>Set once a save has been rehearsed in this process: its one-time costs are paid, a repeat would only pause the guest.</summary>
    private static int _saveRehearsed;

    public GuestMemory Memory => machine.Memory;
    public Tern.Kvm.Vm Vm => machine.Vm;
    public bool GuestWasRunning => guestWasRunning;
    public IConsoleHistory? ConsoleHistory => machine.ConsoleHistory;
    public IHeldOutput Output { get; } = machine.Output;

    public long PauseGuest()
    {
        long stoppedAt = guestWasRunning
            ? AskVcpus<VcpuGroupProtocol.Paused>(new VcpuGroupProtocol.Pause()).ParkedAt
            : System.Diagnostics.Stopwatch.GetTimestamp();
        machine.PauseDevices();
        return stoppedAt;
    }

    public long ResumeGuest()
    {
        machine.ResumeDevices();
        long woke = guestWasRunning ? ResumeVcpus() : 0;
        return woke != 0 ? woke : System.Diagnostics.Stopwatch.GetTimestamp();
    }

    public void UnlockDisks() => machine.UnlockDisks();

    public void LockDisks() => machine.LockDisks();

    public void RehearseSave()
    {
        if (Volatile.Read(ref _saveRehearsed) == 1) return;
        machine.SaveDeviceStates(); // devices save under their own locks: most of the cold cost, without a pause
        if (!guestWasRunning) machine.SaveState();
        else
        {
            AskVcpus<VcpuGroupProtocol.Paused>(new VcpuGroupProtocol.Pause());
            try
            {
                machine.SaveState();
            }
            finally
            {
                ResumeVcpus();
            }
        }
        Volatile.Write(ref _saveRehearsed, 1);
    }

    public void RehearseRestore() => machine.RehearseRestore();

    public void Abandon() => _abandoned.Cancel();

    public void SetThrottle(int percent) => vcpus.Tell(new VcpuGroupProtocol.SetThrottle(percent));

    public IReadOnlyList<ComponentState> SaveState() => machine.SaveState();

    public void RestoreState(IReadOnlyList<ComponentState> states) => machine.RestoreState(states);

    public IReadOnlyList<DiskWrite> DiskWritesOf(long epoch) => machine.DiskWritesOf(epoch);

    public string? CheckDiskWrite(string driveId, long offset, int length) => machine.CheckDiskWrite(driveId, offset, length);

    public void ApplyDiskWrites(IEnumerable<DiskWrite> writes) => machine.ApplyDiskWrites(writes);

    public IReadOnlyList<(string DriveId, long Length)> WritableDrives => machine.WritableDrives;

    public IReadOnlyList<string> WritableDriveIds => [.. machine.WritableDrives.Select(d => d.DriveId)];

    public void HoldDiskWrites(long epoch) => machine.HoldDiskWrites(epoch);

    public void ReadDisk(string driveId, Span<byte> into, long offset) => machine.ReadDisk(driveId, into, offset);

    public string? BeginDiskCopy(string driveId, long length) => machine.BeginDiskCopy(driveId, length);

    public void WriteDiskCopy(string driveId, long offset, ReadOnlySpan<byte> data) => machine.WriteDiskCopy(driveId, offset, data);

    public void PauseDevices() => machine.PauseDevices();

    public void ResumeDevices() => machine.ResumeDevices();

    void IMigrationDestination.ResumeGuest() => AskVcpus<VcpuGroupProtocol.Resumed>(new VcpuGroupProtocol.Resume());

    /// <summary>Lets the vCPUs run again; nothing to do once the VM is ending.</summary>
    /// <summary>Lets the vCPUs run again; the Stopwatch timestamp when the last woke (0: unknown, or the VM is ending).</summary>
    private long ResumeVcpus() =>
        _abandoned.IsCancellationRequested ? 0 : AskVcpus<VcpuGroupProtocol.Resumed>(new VcpuGroupProtocol.Resume()).WokeAt;

    private T AskVcpus<T>(object message)
    {
        try
        {
            return vcpus.Ask<T>(message, Timeout, _abandoned.Token).GetAwaiter().GetResult();
        }
        catch (OperationCanceledException)
        {
            throw new MachineException("the VM is ending");
        }
    }
}

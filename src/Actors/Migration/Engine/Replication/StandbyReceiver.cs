using Tern.Actors.Migration.Engine.Destination;
using Tern.Actors.Migration.Engine.Wire;
using Tern.Devices.Board;

namespace Tern.Actors.Migration.Engine.Replication;

/// <summary>
/// The standby's part of a replication stream, once the initial rounds are over (the format's
/// "Continuous replication"): stages each checkpoint apart from the guest, and only when it is
/// whole and verified copies its pages into guest memory, restores its state into the paused
/// machine and answers Committed. The guest never runs here unless promoted; then it resumes from
/// the last committed checkpoint, whatever was staged after it discarded
/// (<see cref="StandbyCheckpoints"/> decides each step).
/// A checkpoint that fails a check, or a link that breaks, leaves the committed one standing: the
/// standby stays paused, holding it, until it is promoted or abandoned. Sharing its primary's
/// disks, it keeps the committed checkpoints' disk writes past the primary's flushed epoch and
/// writes them before a promoted guest runs; with its own copies (<paramref name="ownDiskCopies"/>,
/// filled during the sync by <see cref="TakeDiskCopy"/>) it writes each checkpoint's at its
/// commit (the format's "Disks").
/// </summary>
public sealed class StandbyReceiver(Stream stream, MigrationStreamReader reader, IMigrationDestination destination,
    Action<CheckpointInfo> progress, CancellationToken abandon, bool ownDiskCopies = false)
{
    /// <summary>The drives whose copy began, with the length the primary gave.</summary>
    private readonly Dictionary<string, long> _copies = new(StringComparer.Ordinal);
    private readonly ManualResetEventSlim _promoted = new();
    private StandbyCheckpoints _checkpoints = StandbyCheckpoints.Syncing;
    private readonly List<MigrationSection.CheckpointRam> _pages = [];
    private readonly List<DiskWrite> _disk = [];
    /// <summary>The committed checkpoints' disk writes the primary may not have flushed yet, by epoch.</summary>
    private readonly SortedDictionary<long, IReadOnlyList<DiskWrite>> _unflushed = [];
    private IncomingStates _states = new();
    private CheckpointInfo _info = new();

    /// <summary>The last committed checkpoint, -1 before the first.</summary>
    public long Committed => _checkpoints.Committed;

    /// <summary>
    /// From any thread: resume the guest from the committed checkpoint. False when there is none
    /// (the initial sync never ended) or the standby is gone; the caller closes the connection so
    /// that a read in progress wakes.
    /// </summary>
    public bool Promote()
    {
        if (_checkpoints.Committed < 0 || abandon.IsCancellationRequested) return false;
        _promoted.Set();
        return true;
    }

    /// <summary>True once <see cref="Promote"/> was called: the reading thread should stop.</summary>
    public bool PromotionAsked => _promoted.IsSet;

    /// <summary>
    /// During the initial sync: part of the primary's image of a drive, into this standby's own
    /// copy (its first part empties the copy). Throws <see cref="MigrationFailedException"/> when
    /// this standby shares its disks or the drive cannot take it; the replication then fails.
    /// </summary>
    public void TakeDiskCopy(MigrationSection.DiskCopy copy)
    {
        if (!ownDiskCopies)
            throw new MigrationFailedException("the primary copies its disks; this standby shares them (set x-colo-disk-copy here to keep copies)");
        if (!_copies.TryGetValue(copy.DriveId, out long length))
        {
            if (destination.BeginDiskCopy(copy.DriveId, copy.DriveLength) is { } refused) throw new MigrationFailedException(refused);
            _copies[copy.DriveId] = length = copy.DriveLength;
        }
        if (copy.DriveLength != length)
            throw new MigrationFailedException($"drive '{copy.DriveId}' was {length} bytes, now {copy.DriveLength}");
        if (copy.Data.Length > 0) destination.WriteDiskCopy(copy.DriveId, copy.Offset, copy.Data);
    }

    /// <summary>
    /// Runs from checkpoint <paramref name="first"/> (just read) until the source cancels (the VM is
    /// discarded), the standby is promoted (the guest runs), or it is abandoned.
    /// </summary>
    public (MigrationInfo Info, GuestAfterMigration Guest) Run(MigrationSection.Checkpoint first, MigrationInfo info)
    {
        string? broken = null;
        bool refused = false;
        destination.PauseDevices();
        try
        {
            Begin(first);
            while (!_promoted.IsSet)
            {
                switch (reader.ReadNext())
                {
                    case MigrationSection.Checkpoint c:
                        Begin(c);
                        break;
                    case MigrationSection.CheckpointRam r:
                        _pages.Add(r);
                        break;
                    case MigrationSection.CheckpointDisk d:
                        _disk.Add(new DiskWrite(d.DriveId, d.Offset, d.Data));
                        break;
                    case MigrationSection.State s:
                        _states.Take(s);
                        break;
                    case MigrationSection.CheckpointEnd e:
                        Complete((long)e.Epoch);
                        break;
                    case MigrationSection.Cancel:
                        return (Final(info, MigrationStatus.Canceled, "the primary ended the replication"), GuestAfterMigration.Discarded);
                }
            }
        }
        catch (MigrationStreamException e) when (e.LinkLost)
        {
            // The primary (or the link to it) is gone: the committed checkpoint stands, nothing is refused.
            broken = _promoted.IsSet ? null : $"connection to the primary lost: {e.Message}";
        }
        catch (Exception e) when (e is MigrationStreamException or MigrationFailedException)
        {
            broken = $"checkpoint {_checkpoints.Staging?.ToString() ?? "?"} refused: {e.Message}";
            refused = true;
            Refuse(broken);
        }
        catch (Exception e) when (e is IOException or System.Net.Sockets.SocketException or ObjectDisposedException)
        {
            broken = _promoted.IsSet ? null : $"connection to the primary lost: {e.Message}";
        }
        catch (StandbyUnusableException e)
        {
            Refuse(e.Message);
            return (Final(info, MigrationStatus.Failed, e.Message), GuestAfterMigration.Discarded);
        }
        if (_checkpoints.Committed < 0)
            return (Final(info, MigrationStatus.Failed, $"{broken}; no checkpoint was committed"), GuestAfterMigration.Discarded);
        if (broken is not null) Report(_info with { Broken = broken, Refused = refused });
        info = info with { Status = MigrationStatus.Colo };
        // Holding the committed checkpoint: wait for the decision.
        try
        {
            _promoted.Wait(abandon);
        }
        catch (OperationCanceledException)
        {
            return (Final(info, MigrationStatus.Canceled, broken ?? "the standby was abandoned"), GuestAfterMigration.Discarded);
        }
        var (next, _) = _checkpoints.Promote();
        _checkpoints = next;
        LockDisksOnceFree();
        destination.ApplyDiskWrites(_unflushed.Values.SelectMany(w => w));
        destination.ResumeDevices();
        destination.ResumeGuest();
        return (Final(info, MigrationStatus.Completed, null), GuestAfterMigration.Arrived);
    }

    /// <summary>How long a promoted standby waits for its disks' locks: the primary's process may still be ending.</summary>
    private static readonly TimeSpan DiskLockWait = TimeSpan.FromSeconds(15);

    /// <summary>
    /// Takes the disks' image locks, waiting while another process holds them: a primary killed a
    /// moment ago lets go of them only as its process finishes ending, and a primary cut off stops
    /// its guest and ends once its host fences itself or is told. The guest runs only with them.
    /// </summary>
    private void LockDisksOnceFree()
    {
        var deadline = DateTime.UtcNow + DiskLockWait;
        while (true)
        {
            try
            {
                destination.LockDisks();
                return;
            }
            catch (Tern.Devices.Board.MachineException) when (DateTime.UtcNow < deadline && !abandon.IsCancellationRequested)
            {
                Thread.Sleep(50);
            }
        }
    }

    private MigrationInfo Final(MigrationInfo info, MigrationStatus status, string? error) =>
        info with { Status = status, ErrorDesc = error, Checkpoints = _info };

    private void Begin(MigrationSection.Checkpoint checkpoint)
    {
        if (ownDiskCopies && checkpoint.Epoch == 0 && destination.WritableDriveIds.FirstOrDefault(id => !_copies.ContainsKey(id)) is { } missing)
            throw new MigrationFailedException($"the initial sync ended without a copy of drive '{missing}' (set x-colo-disk-copy on the primary too)");
        var (next, actions) = _checkpoints.Begin((long)checkpoint.Epoch);
        _checkpoints = next;
        if (actions.OfType<StandbyAction.RequestResync>().FirstOrDefault() is { } resync) throw new MigrationFailedException(resync.Why);
        foreach (long flushed in _unflushed.Keys.Where(e => e <= checkpoint.Flushed).ToArray()) _unflushed.Remove(flushed);
        _pages.Clear();
        _disk.Clear();
        _states = new IncomingStates();
    }

    private void Complete(long epoch)
    {
        var (next, actions) = _checkpoints.Complete(epoch, verified: true);
        if (actions.OfType<StandbyAction.ApplyAndAcknowledge>().Any())
        {
            if (_states.WasRunning is null) throw new MigrationFailedException($"checkpoint {epoch} carries no run state");
            foreach (var w in _disk)
                if (destination.CheckDiskWrite(w.DriveId, w.Offset, w.Data.Length) is { } wrong) throw new MigrationFailedException($"checkpoint {epoch}: {wrong}");
            Apply();
            if (ownDiskCopies) WriteToCopies(epoch);
            else if (_disk.Count > 0) _unflushed[epoch] = _disk.ToArray();
            _checkpoints = next;
            MigrationBackChannel.Write(stream, new MigrationReply.Committed((ulong)epoch));
            Report(_info with
            {
                Committed = epoch,
                LastCommittedAt = DateTimeOffset.UtcNow,
                LastBytes = (ulong)_pages.Sum(p => (long)p.Gpas.Length) * MigrationStreamFormat.PageSize,
            });
        }
    }

    /// <summary>
    /// Into the paused guest: pages first, then the state (devices read guest memory as they
    /// restore). A state the machine refuses leaves memory and state apart, so the standby is
    /// unusable from then on; the primary's checksums make that a bug, not a link fault.
    /// </summary>
    private void Apply()
    {
        try
        {
            foreach (var section in _pages)
                for (int i = 0; i < section.Gpas.Length; i++)
                    destination.Memory.Write(section.Gpas[i], section.Page(i));
            destination.RestoreState(_states.All);
            if (_states.Console is var (written, tail)) destination.ConsoleHistory?.Continue(written, tail);
        }
        catch (MachineException e)
        {
            throw new StandbyUnusableException($"checkpoint state refused after its pages were applied: {e.Message}");
        }
    }

    /// <summary>The committed checkpoint's disk writes into this standby's own copies, so they stand as of it.</summary>
    private void WriteToCopies(long epoch)
    {
        try
        {
            destination.ApplyDiskWrites(_disk);
        }
        catch (Tern.Kvm.KvmException e)
        {
            throw new StandbyUnusableException($"checkpoint {epoch}'s disk writes failed on this standby's copies: {e.Message}");
        }
    }

    private void Refuse(string why)
    {
        if (_checkpoints.Staging is { } staged) (_checkpoints, _) = _checkpoints.Complete(staged, verified: false, why);
        _pages.Clear();
        _disk.Clear();
        _states = new IncomingStates();
        try
        {
            MigrationBackChannel.Write(stream, new MigrationReply.Error(why));
        }
        catch (Exception e) when (e is IOException or System.Net.Sockets.SocketException or ObjectDisposedException)
        {
            // The primary is gone already.
        }
    }

    private void Report(CheckpointInfo info)
    {
        _info = info;
        progress(info);
    }
}

/// <summary>The standby's guest can no longer be resumed consistently: it must be discarded.</summary>
public sealed class StandbyUnusableException(string message) : Exception(message);

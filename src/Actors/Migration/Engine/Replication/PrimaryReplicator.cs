using System.Buffers;
using System.Collections.Concurrent;
using System.Diagnostics;
using Tern.Actors.Migration.Engine.Source;
using Tern.Actors.Migration.Engine.Wire;
using Tern.Devices.Board;
using Tern.Kvm.Memory;

namespace Tern.Actors.Migration.Engine.Replication;

/// <summary>
/// The primary's part of a replication, once the initial rounds have converged (the format's
/// "Continuous replication"), run on the migration's own thread. Every epoch it pauses the guest,
/// harvests the dirty log, copies the dirty pages and every component's state into a buffer of its
/// own and resumes the guest: the pause is that copy, never the network. A sending thread streams
/// the buffers to the standby, a reading thread takes its Committed answers, and
/// <see cref="PrimaryEpochs"/> decides when to take the next checkpoint, when output may go out and
/// when the guest must stop.
/// <para>It ends when the operator (or the cluster) says the standby is gone (<see cref="StandbyLost"/>:
/// the guest goes on alone, its held output released), or on cancel (the standby is told, the
/// guest goes on alone). A standby that stops answering for fence-after stops the guest here, its
/// output still held, since it may have been promoted; only <see cref="StandbyLost"/> lets it run
/// again, and lets its output out.</para>
/// </summary>
public sealed class PrimaryReplicator
{
    private const int PageSize = MigrationStreamFormat.PageSize;
    /// <summary>How often the epoch clock is looked at; an epoch runs at most this much past its length.</summary>
    private static readonly TimeSpan TickEvery = TimeSpan.FromMilliseconds(2);

    private readonly IMigrationSource _source;
    private readonly MigrationStreamWriter _writer;
    private readonly Stream _stream;
    private readonly DirtyPageTracker _tracker;
    private readonly IHeldOutput _output;
    private readonly Action<CheckpointInfo> _progress;
    private readonly CancellationToken _cancel;
    private readonly BlockingCollection<object> _events = new();
    private readonly BlockingCollection<Captured> _outbox = new();
    private readonly List<double> _pauses = [];
    private PrimaryEpochs _epochs;
    private CheckpointInfo _info = new();
    private bool _stopped;

    /// <param name="Pages">A pooled buffer (returned once sent) whose first <see cref="PageBytes"/> bytes are the pages, in <paramref name="Gpas"/> order.</param>
    private sealed record Captured(long Epoch, long Flushed, ulong[] Gpas, byte[] Pages, IReadOnlyList<DiskWrite> Disk,
        IReadOnlyList<ComponentState> States, bool Running, (long Written, byte[] Tail)? Console)
    {
        public int PageBytes => Gpas.Length * PageSize;
    }
    private sealed record Committed(long Epoch);
    private sealed record LinkLost(string Why, bool Refused = false);
    private sealed record Lost
    {
        public static readonly Lost Instance = new();
    }

    public PrimaryReplicator(IMigrationSource source, MigrationStreamWriter writer, Stream stream, DirtyPageTracker tracker,
        TimeSpan epoch, TimeSpan fenceAfter, IHeldOutput output, Action<CheckpointInfo> progress, CancellationToken cancel)
    {
        _source = source;
        _writer = writer;
        _stream = stream;
        _tracker = tracker;
        _output = output;
        _progress = progress;
        _cancel = cancel;
        _epochs = PrimaryEpochs.Start(epoch, fenceAfter);
    }

    /// <summary>From any thread: the standby is gone for good (manager or operator): go on alone.</summary>
    public void StandbyLost() => _events.Add(Lost.Instance);

    /// <summary>
    /// With dirty tracking running and <paramref name="pending"/> the pages the last round's sync
    /// found: takes checkpoint 0 and runs the epochs. Returns how replication ended and where the guest is.
    /// </summary>
    public (MigrationStatus Status, string? Error, GuestAfterMigration Guest) Run(List<PageRun> pending)
    {
        var sending = new Thread(Send) { IsBackground = true, Name = "replication-send" };
        var reading = new Thread(ReadAnswers) { IsBackground = true, Name = "replication-read" };
        try
        {
            Capture(0, pending);
            (_epochs, _) = _epochs.SyncCompleted(DateTime.UtcNow);
            sending.Start();
            reading.Start();
            while (true)
            {
                if (_events.TryTake(out var e, (int)TickEvery.TotalMilliseconds, _cancel))
                {
                    switch (e)
                    {
                        case Committed c:
                            var (acked, released) = _epochs.Acknowledged(c.Epoch, DateTime.UtcNow);
                            _epochs = acked;
                            Apply(released, acked);
                            Report(_info with { Committed = _epochs.Acked, LastCommittedAt = DateTimeOffset.UtcNow });
                            break;
                        case LinkLost l:
                            if (_info.Broken is null) Report(_info with { Broken = l.Why, Refused = l.Refused });
                            break;
                        case Lost:
                            var (alone, actions) = _epochs.StandbyLost();
                            _epochs = alone;
                            Apply(actions, alone);
                            _output.ReleaseAll();
                            if (_stopped) _source.ResumeGuest();
                            return (MigrationStatus.Completed, null, GuestAfterMigration.Unchanged);
                    }
                }
                var (next, due) = _epochs.Tick(DateTime.UtcNow);
                _epochs = next;
                Apply(due, next);
                if (_stopped) Report(_info with { Stretched = _epochs.Stretched });
            }
        }
        catch (OperationCanceledException)
        {
            // Unprotected: the standby discards its copy, and the guest here goes on alone.
            _outbox.CompleteAdding();
            sending.Join(TimeSpan.FromSeconds(2));
            TryCancel();
            _output.ReleaseAll();
            if (_stopped) return (MigrationStatus.Canceled, "replication canceled after the guest was stopped for a silent standby", GuestAfterMigration.InDoubt);
            return (MigrationStatus.Canceled, null, GuestAfterMigration.Unchanged);
        }
        finally
        {
            _outbox.CompleteAdding();
        }
    }

    private void Apply(IReadOnlyList<EpochAction> actions, PrimaryEpochs now)
    {
        foreach (var action in actions)
        {
            switch (action)
            {
                case EpochAction.TakeCheckpoint t:
                    Capture(t.Epoch, []);
                    break;
                case EpochAction.ReleaseOutput r:
                    _output.Release(r.Epoch);
                    break;
                case EpochAction.StopGuest s:
                    // Held output stays held: if the standby took over, none of it may go out (it dies
                    // with this process); if it is declared lost, this guest goes on and its output
                    // (disk writes above all, which it believes done) must not be lost.
                    _source.PauseGuest();
                    _stopped = true;
                    Report(_info with { Broken = s.Why });
                    break;
            }
        }
        if (now.Stretched != _info.Stretched) _info = _info with { Stretched = now.Stretched };
    }

    /// <summary>
    /// The guest's pause: vCPUs parked and devices drained, dirty log harvested, dirty pages and all
    /// state copied into a buffer, output from here on counted to the next epoch; then it runs again.
    /// </summary>
    private void Capture(long epoch, List<PageRun> pending)
    {
        long stoppedAt = _source.PauseGuest();
        long resumedAt = 0;
        Captured captured;
        try
        {
            _tracker.Sync();
            var runs = new List<PageRun>(pending);
            PageRuns.Dirty(_tracker.Regions, runs);
            var gpas = Pages(runs);
            // Pooled: on this host memory a process has not touched yet backs at about 0.5 GB/s, so a
            // fresh buffer per checkpoint made the copy, which the guest waits for, several times slower.
            var pages = ArrayPool<byte>.Shared.Rent(Math.Max(1, gpas.Length * PageSize));
            for (int i = 0; i < gpas.Length; i++) _source.Memory.ReadSpan(gpas[i], PageSize).CopyTo(pages.AsSpan(i * PageSize));
            var states = _source.SaveState();
            var console = _source.ConsoleHistory?.Snapshot();
            var disk = _source.DiskWritesOf(epoch);
            _output.Begin(epoch + 1);
            // Disk writes are released (flushed to the images) as their checkpoint is acknowledged.
            captured = new Captured(epoch, Math.Min(_epochs.Acked, epoch - 1), gpas, pages, disk, states, _source.GuestWasRunning, console is var (w, t) ? (w, t) : null);
        }
        finally
        {
            resumedAt = _source.ResumeGuest();
        }
        // Until the vCPUs ran again: the reply that says so comes later, and the guest does not wait for it.
        double pauseMs = Stopwatch.GetElapsedTime(stoppedAt, resumedAt).TotalMilliseconds;
        // Checkpoint 0 ends the initial sync (the last round's pages): a migration's pause, not an epoch's.
        if (epoch > 0) _pauses.Add(pauseMs);
        if (_pauses.Count > 1000) _pauses.RemoveRange(0, _pauses.Count - 1000);
        var sorted = _pauses.Count > 0 ? _pauses.Order().ToArray() : [pauseMs];
        Report(_info with
        {
            Taken = epoch,
            LastPauseMs = pauseMs,
            P50PauseMs = sorted[sorted.Length / 2],
            P99PauseMs = sorted[Math.Min(sorted.Length - 1, (int)(sorted.Length * 0.99))],
            MaxPauseMs = sorted[^1],
            LastBytes = (ulong)(captured.PageBytes + captured.Disk.Sum(d => d.Data.Length)),
            TotalBytes = _info.TotalBytes + (ulong)(captured.PageBytes + captured.Disk.Sum(d => d.Data.Length)),
        });
        _outbox.Add(captured);
    }

    /// <summary>Every page of the runs once, in increasing order (the runs of two syncs may overlap).</summary>
    private static ulong[] Pages(List<PageRun> runs)
    {
        var pages = new List<ulong>();
        foreach (var run in runs)
            for (ulong p = 0; p < run.Pages; p++) pages.Add(run.Gpa + p * PageSize);
        pages.Sort();
        return pages.Distinct().ToArray();
    }

    /// <summary>The sending thread: each captured checkpoint onto the stream, in order.</summary>
    private void Send()
    {
        try
        {
            foreach (var c in _outbox.GetConsumingEnumerable())
            {
                _writer.WriteCheckpoint((ulong)c.Epoch, c.Flushed);
                _writer.WriteCheckpointRam(c.Gpas, c.Pages.AsSpan(0, c.PageBytes));
                foreach (var d in c.Disk) _writer.WriteCheckpointDisk(d.DriveId, d.Offset, d.Data);
                _writer.WriteMachineState(c.States, c.Running, c.Console);
                _writer.WriteCheckpointEnd();
                _writer.Flush();
                ArrayPool<byte>.Shared.Return(c.Pages);
            }
        }
        catch (Exception e) when (e is IOException or System.Net.Sockets.SocketException or ObjectDisposedException or InvalidOperationException)
        {
            _events.Add(new LinkLost($"connection to the standby lost: {e.Message}"));
        }
    }

    /// <summary>The reading thread: the standby's Committed answers, or why it stopped answering.</summary>
    private void ReadAnswers()
    {
        try
        {
            while (true)
            {
                switch (MigrationBackChannel.Read(_stream))
                {
                    case MigrationReply.Committed c:
                        _events.Add(new Committed((long)Math.Min(c.Epoch, long.MaxValue)));
                        break;
                    case MigrationReply.Error e:
                        _events.Add(new LinkLost($"the standby refused a checkpoint: {e.Text}", Refused: true));
                        return;
                    default:
                        _events.Add(new LinkLost("the standby answered out of turn"));
                        return;
                }
            }
        }
        catch (Exception e) when (e is MigrationStreamException or IOException or System.Net.Sockets.SocketException or ObjectDisposedException)
        {
            _events.Add(new LinkLost($"connection to the standby lost: {e.Message}"));
        }
    }

    private void TryCancel()
    {
        try
        {
            _writer.WriteCancel();
            _writer.Flush();
        }
        catch (Exception e) when (e is IOException or System.Net.Sockets.SocketException or ObjectDisposedException or InvalidOperationException)
        {
            // The standby is gone already; it discards on its own.
        }
    }

    private void Report(CheckpointInfo info)
    {
        _info = info;
        _progress(info);
    }
}

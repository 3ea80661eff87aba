using System.Diagnostics;
using System.Runtime.InteropServices;
using Tern.Actors.Migration.Engine.Source;
using Tern.Actors.Migration.Engine.Wire;
using Tern.Devices.Config;
using Tern.Kvm.Memory;

namespace Tern.Actors.Migration.Engine.Snapshot;

/// <summary>
/// Saves a VM to a snapshot file (<c>migrate</c> to <c>file:PATH</c>), live, on its own thread:
/// dirty tracking starts, the first pass writes all RAM, each later pass rewrites the pages dirtied
/// since the last sync at their places in the file, until <see cref="ConvergencePolicy"/> says the
/// rest fits the downtime limit; then the guest is paused, the last dirty pages and the machine
/// state are written and the file is committed (<see cref="SnapshotFormat"/>). The guest then stays
/// paused here with its memory and disks (QEMU's <c>postmigrate</c>), so <c>cont</c> resumes it.
/// A failure or cancel removes the new file, leaves an older snapshot at the path as it was, and
/// lets the guest go on. The file is created when the saver is made, so that a path that cannot
/// take it is refused at once (as QEMU's <c>migrate</c> refuses it); <see cref="Run"/> must follow.
/// </summary>
public sealed class SnapshotSaver
{
    private const ulong PageSize = SnapshotFormat.PageSize;
    private const ulong ChunkPages = 4096; // the first pass in 16 MiB runs: cancel and progress between them
    private readonly Stopwatch _clock = new();
    private readonly List<PageRun> _runs = [];
    private MigrationInfo _info = new(MigrationStatus.Setup);
    private Task? _rehearsal;
    private bool _paused;
    private bool _saved;
    private ulong _syncs;
    private readonly IMigrationSource _source;
    private readonly string _path;
    private readonly MigrationFingerprint _fingerprint;
    private readonly Func<MigrationParameters> _parameters;
    private readonly Action<MigrationInfo, bool> _progress;
    private readonly CancellationToken _cancel;
    private readonly SnapshotFileWriter _file;

    /// <summary>Creates the new file beside <paramref name="path"/>; throws <see cref="SnapshotException"/> when it cannot.</summary>
    public SnapshotSaver(IMigrationSource source, string path, MigrationFingerprint fingerprint,
        Func<MigrationParameters> parameters, Action<MigrationInfo, bool> progress, CancellationToken cancel)
    {
        _source = source;
        _path = path;
        _fingerprint = fingerprint;
        _parameters = parameters;
        _progress = progress;
        _cancel = cancel;
        _file = SnapshotFileWriter.Create(path, source.Memory.TotalSize);
    }

    public (MigrationInfo Info, GuestAfterMigration Guest) Run()
    {
        _clock.Start();
        var tracker = new DirtyPageTracker(_source.Vm, _source.Memory);
        try
        {
            var ram = new SnapshotRamWriter(_source.Memory, _file.Handle);
            _info = _info with { SetupTimeMs = Ms(), Ram = new RamInfo(0, _source.Memory.TotalSize, _source.Memory.TotalSize, 0, 0, 0, 0, 0, 0) };
            tracker.Start();
            Report(_info with { Status = MigrationStatus.Active }, newPass: false);
            _rehearsal = Task.Run(_source.RehearseSave); // its one-time costs stay out of the pause
            Passes(ram, tracker);
            _rehearsal.GetAwaiter().GetResult();

            long stoppedAt = _source.PauseGuest();
            _paused = true;
            _cancel.ThrowIfCancellationRequested();
            tracker.Sync();
            PageRuns.Dirty(tracker.Regions, _runs);
            ram.Write(CollectionsMarshal.AsSpan(_runs), fresh: false, _cancel);
            tracker.Stop();
            var state = MachineState();
            _file.Commit(state);
            _saved = true;
            long downtime = (long)Stopwatch.GetElapsedTime(stoppedAt).TotalMilliseconds;
            var totals = ram.Totals;
            return (_info with
            {
                Status = MigrationStatus.Completed, DowntimeMs = downtime, TotalTimeMs = Ms(),
                Ram = _info.Ram! with
                {
                    Transferred = (ulong)(ram.BytesWritten + state.Length), Remaining = 0, Duplicate = totals.ZeroPages,
                    Normal = totals.NormalPages, NormalBytes = totals.NormalBytes,
                },
            }, GuestAfterMigration.Saved);
        }
        catch (Exception e) when (_cancel.IsCancellationRequested && e is OperationCanceledException or IOException or Tern.Kvm.KvmException)
        {
            return (Final(MigrationStatus.Canceled, null), GuestAfterMigration.Unchanged);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException or SnapshotException or MigrationFailedException
                                   or Tern.Kvm.KvmException or Tern.Devices.Board.MachineException)
        {
            return (Final(MigrationStatus.Failed, $"saving to {_path}: {e.Message}"), GuestAfterMigration.Unchanged);
        }
        finally
        {
            try
            {
                _rehearsal?.Wait(TimeSpan.FromSeconds(30)); // its own pause and resume must not interleave with the resume below
            }
            catch (AggregateException)
            {
                // The save has failed already; the rehearsal's own error adds nothing.
            }
            tracker.Stop();
            _source.SetThrottle(0);
            _file.Dispose(); // removes the _file unless committed
            if (_paused && !_saved) _source.ResumeGuest();
        }
    }

    /// <summary>The first pass over all RAM, then passes over what the guest dirtied, until the rest fits the pause.</summary>
    private void Passes(SnapshotRamWriter ram, DirtyPageTracker tracker)
    {
        var limiter = new BandwidthLimiter(() => _parameters().MaxBandwidth);
        var rate = new LinkBandwidth();
        ulong previousRemaining = ulong.MaxValue;
        int throttle = 0;
        var passClock = Stopwatch.StartNew();
        _runs.AddRange(PageRuns.All(_source.Memory, ChunkPages));
        for (int pass = 1; ; pass++)
        {
            long before = ram.BytesWritten;
            ulong left = RunBatches.Bytes(CollectionsMarshal.AsSpan(_runs));
            var sinceReport = Stopwatch.StartNew();
            ram.Write(CollectionsMarshal.AsSpan(_runs), fresh: pass == 1, _cancel, written =>
            {
                limiter.Sent((long)written, _cancel);
                left -= written;
                if (sinceReport.ElapsedMilliseconds < 100) return;
                sinceReport.Restart();
                Report(_info with { TotalTimeMs = Ms(), Ram = _info.Ram! with { Transferred = (ulong)ram.BytesWritten, Remaining = left } }, newPass: false);
            });
            // Each pass goes to stable storage while the guest still runs, and the rate counts that:
            // the commit's own sync, inside the pause, then has only the last pages and the state to write.
            _file.SyncData();
            rate.Round(ram.BytesWritten - before, passClock.Elapsed);
            _cancel.ThrowIfCancellationRequested();
            double seconds = Math.Max(passClock.Elapsed.TotalSeconds, 1e-4);
            ulong dirtyPages = tracker.Sync();
            _syncs++;
            // A page cache takes writes faster than the guest can dirty: the estimate is the file's own rate.
            var stats = new RoundStats(pass, dirtyPages * PageSize, previousRemaining, rate.BytesPerSecond, dirtyPages * PageSize / seconds, _clock.Elapsed, throttle);
            previousRemaining = stats.RemainingBytes;
            var totals = ram.Totals;
            _info = _info with
            {
                TotalTimeMs = Ms(), Round = pass, ThrottlePercent = throttle,
                ExpectedDowntimeMs = (long)Math.Min(int.MaxValue, ConvergencePolicy.ExpectedDowntime(stats.RemainingBytes, stats.BandwidthBytesPerSec).TotalMilliseconds),
                Ram = new RamInfo((ulong)ram.BytesWritten, stats.RemainingBytes, _source.Memory.TotalSize, totals.ZeroPages, totals.NormalPages,
                    totals.NormalBytes, stats.DirtyBytesPerSec / PageSize, stats.BandwidthBytesPerSec * 8 / 1e6, _syncs),
            };
            Report(_info, newPass: true);
            _runs.Clear();
            PageRuns.Dirty(tracker.Regions, _runs);
            switch (ConvergencePolicy.Next(stats, _parameters()))
            {
                case ConvergenceStep.StopAndCopy:
                    return; // these pages go with the last ones, the guest paused
                case ConvergenceStep.GiveUp g:
                    throw new MigrationFailedException(g.Reason);
                case ConvergenceStep.NextRound n:
                    if (n.ThrottlePercent != throttle) _source.SetThrottle(throttle = n.ThrottlePercent);
                    break;
            }
            passClock.Restart();
        }
    }

    /// <summary>The state part of the file: an embedded stream of Header, Config, every component's state, End.</summary>
    private byte[] MachineState()
    {
        using var buffer = new MemoryStream();
        var writer = new MigrationStreamWriter(buffer, _source.Memory);
        writer.WriteHeader();
        writer.WriteConfig(_fingerprint);
        writer.WriteMachineState(_source.SaveState(), _source.GuestWasRunning, _source.ConsoleHistory?.Snapshot());
        writer.WriteEnd();
        writer.Flush();
        if (buffer.Length > SnapshotFormat.MaxStateBytes)
            throw new SnapshotException($"the machine state is {buffer.Length >> 20} MiB, over the snapshot's {SnapshotFormat.MaxStateBytes >> 20} MiB");
        return buffer.ToArray();
    }

    private MigrationInfo Final(MigrationStatus status, string? error) =>
        _info with { Status = status, ErrorDesc = error, TotalTimeMs = Ms(), ThrottlePercent = 0 };

    private void Report(MigrationInfo info, bool newPass)
    {
        _info = info;
        _progress(info, newPass);
    }

    private long Ms() => _clock.ElapsedMilliseconds;
}

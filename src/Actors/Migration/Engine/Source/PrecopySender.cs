using System.Diagnostics;
using System.Net.Sockets;
using Tern.Actors.Migration.Engine.Wire;
using Tern.Devices.Config;
using Tern.Kvm.Memory;

namespace Tern.Actors.Migration.Engine.Source;

/// <summary>
/// The source side of a live migration, run on its own thread over one connected socket: the TLS
/// handshake when the migration uses TLS (its failure fails the migration; the guest goes on here),
/// then the stream and commit handshake that <see cref="MigrationStreamFormat"/> documents.
/// <para>
/// Its own part: dirty tracking starts before round 1, which sends all RAM (zero pages as ranges);
/// each later round sends the pages dirtied since the last sync, until
/// <see cref="ConvergencePolicy"/> says the rest fits the downtime limit (or gives up).
/// Stop-and-copy pauses vCPUs and drains devices, sends the last dirty pages and every component's
/// state, and lets go of the disks' image locks before End. Once the destination has restored, the
/// commit gate (the cluster's approver) may still refuse; then, or on cancel, the source writes a
/// back-channel Error, else it commits with a back-channel Done and waits for the destination's.
/// </para>
/// Before the commit any failure or cancel leaves the guest running here, with its image locks
/// taken back, and dirty logging off.
/// After the commit the source never resumes on its own: if the destination's Done never comes,
/// the guest stays paused here (in doubt) rather than risk running twice.
/// </summary>
public sealed class PrecopySender
{
    private const ulong PageSize = 4096;
    private const ulong ChunkPages = 4096; // the full pass in 16 MiB runs: cancel and progress between them
    // A guest that dirties little would otherwise be synced thousands of times a second, each
    // sync a round of ioctls and a MIGRATION_PASS event; a short floor keeps rounds meaningful.
    private static readonly TimeSpan MinimumRound = TimeSpan.FromMilliseconds(10);
    private static readonly TimeSpan ReplyTimeout = TimeSpan.FromSeconds(30);
    /// <summary>How long a cancel lets a live link take the cancel record before the socket is shut for sending too.</summary>
    private static readonly TimeSpan CancelGrace = TimeSpan.FromMilliseconds(250);
    /// <summary>How long a failed switch-over waits for a destination that took the image locks to let go of them.</summary>
    private static readonly TimeSpan RelockPatience = TimeSpan.FromSeconds(5);
    private static readonly TimeSpan RelockRetry = TimeSpan.FromMilliseconds(50);

    private readonly IMigrationSource _source;
    private readonly Socket _socket;
    private readonly Func<NetworkStream, Stream>? _secure;
    private Stream _stream;
    private readonly MigrationFingerprint _fingerprint;
    private readonly Func<MigrationParameters> _parameters;
    private readonly Func<Transport.MigrationConnection>? _connectChannel;
    private readonly Func<string?>? _commitGate;
    private readonly Action<MigrationInfo, bool> _progress;
    private readonly CancellationToken _cancel;
    private readonly Stopwatch _clock = new();
    private readonly List<PageRun> _runs = [];
    private MigrationInfo _info = new(MigrationStatus.Setup);
    private DataChannels? _channels;
    private Task? _rehearsal;
    private bool _paused;
    private bool _committed;
    private bool _disksHandedOver;
    /// <summary>The guest's disk writes are held for a disk copy, and no replicator has taken them over yet.</summary>
    private bool _holdingForCopy;
    private ulong _syncs;
    private volatile Replication.PrimaryReplicator? _replicator;
    private volatile bool _standbyLost;

    /// <param name="secure">The TLS handshake over the main socket, the first step of <see cref="Run"/> (null: plain).</param>
    /// <param name="connectChannel">Opens another connection to the destination, for multifd's data channels (null: one socket only).</param>
    /// <param name="commitGate">Asked once the destination restored the guest, before the commit: null to go on, else why not (then the guest stays here).</param>
    public PrecopySender(IMigrationSource source, Socket socket, MigrationFingerprint fingerprint,
        Func<MigrationParameters> parameters, Action<MigrationInfo, bool> progress, CancellationToken cancel,
        Func<NetworkStream, Stream>? secure = null, Func<Transport.MigrationConnection>? connectChannel = null, Func<string?>? commitGate = null)
    {
        _secure = secure;
        _connectChannel = connectChannel;
        _commitGate = commitGate;
        _source = source;
        _socket = socket;
        _socket.ReceiveTimeout = (int)ReplyTimeout.TotalMilliseconds;
        _stream = new NetworkStream(socket, ownsSocket: true);
        _fingerprint = fingerprint;
        _parameters = parameters;
        _progress = progress;
        _cancel = cancel;
    }

    private void ShutdownSending()
    {
        if (_committed) return;
        try { _socket.Shutdown(SocketShutdown.Send); }
        catch (Exception e) when (e is ObjectDisposedException or SocketException) { } // the migration has ended meanwhile
    }

    /// <summary>From any thread, in a replication: the standby is gone for good, the guest goes on alone here (x-colo-lost-heartbeat).</summary>
    public void StandbyLost()
    {
        _standbyLost = true;
        _replicator?.StandbyLost();
    }

    /// <summary>Runs the migration to its end and returns the final info and what became of the guest.</summary>
    public (MigrationInfo Info, GuestAfterMigration Guest) Run()
    {
        _clock.Start();
        // A cancel must also wake a blocking wait for the destination's reply: closing the socket does that.
        using var wake = _cancel.Register(() =>
        {
            if (_committed) return;
            _socket.Shutdown(SocketShutdown.Receive);
            _channels?.Abort();
            // A send stuck on a dead link (buffers full, no acknowledgements) wakes only when the
            // socket is shut for sending as well; otherwise a host fenced mid-migration would hold
            // its guest's disk until TCP gave up, minutes later.
            Task.Delay(CancelGrace).ContinueWith(_ => ShutdownSending());
        });
        var tracker = new DirtyPageTracker(_source.Vm, _source.Memory);
        try
        {
            if (_secure is not null) _stream = _secure((NetworkStream)_stream);
            var writer = new MigrationStreamWriter(_stream, _source.Memory);
            Setup(writer);
            bool replicate = _parameters().Colo;
            if (replicate)
            {
                OfferReplication(writer);
                if (_parameters().ColoDiskCopy) CopyDisks(writer);
            }
            else if (HandOverRam(writer))
            {
                Report(_info with { Status = MigrationStatus.Active }, newPass: false);
                _source.RehearseSave(); // nothing runs beside it here; its one-time costs stay out of the pause
                long handedDowntime = SwitchOver(writer, _source.PauseGuest(), lastRound: null);
                return (_info with { Status = MigrationStatus.Completed, DowntimeMs = handedDowntime, TotalTimeMs = Ms(), Ram = _info.Ram! with { Remaining = 0 } },
                    GuestAfterMigration.MovedAway);
            }
            if (!replicate) OpenChannels(writer);
            tracker.Start();
            Report(_info with { Status = MigrationStatus.Active }, newPass: false);
            // Rehearsed beside the first pass rather than before it (when the warm-up has not done it
            // already): its brief pause and one-time costs then delay no page. It must end before the
            // real pause, and its failure fails the migration.
            _rehearsal = Task.Run(_source.RehearseSave);
            Precopy(writer, tracker);
            _rehearsal.GetAwaiter().GetResult();
            if (replicate) return Replicate(writer, tracker);
            long downtime = StopAndCopy(writer, tracker);
            var done = _info with { Status = MigrationStatus.Completed, DowntimeMs = downtime, TotalTimeMs = Ms(), Ram = _info.Ram! with { Remaining = 0 } };
            return (done, GuestAfterMigration.MovedAway);
        }
        catch (Exception e) when (_cancel.IsCancellationRequested && !_committed
                                   && e is OperationCanceledException or IOException or SocketException or ObjectDisposedException
                                        or MigrationStreamException or MigrationFailedException or Transport.MigrationRefusedException)
        {
            TryWrite(w => w.WriteCancel());
            return (Final(MigrationStatus.Canceled, TakeDisksBack()), GuestAfterMigration.Unchanged);
        }
        catch (Exception e) when (e is IOException or SocketException or MigrationStreamException or MigrationFailedException
                                   or Transport.MigrationRefusedException
                                   or ObjectDisposedException or Tern.Devices.Board.MachineException or Tern.Kvm.KvmException)
        {
            string reason = e is IOException or SocketException or ObjectDisposedException ? DescribeLostConnection(e) : e.Message;
            if (_committed)
                return (Final(MigrationStatus.Failed, $"{reason}; the destination was told to take over and may run the guest, so it stays paused here"),
                    GuestAfterMigration.InDoubt);
            return (Final(MigrationStatus.Failed, TakeDisksBack() is { } unlocked ? $"{reason}; {unlocked}" : reason), GuestAfterMigration.Unchanged);
        }
        finally
        {
            WaitForRehearsal(); // its own pause and resume must not interleave with the resume below
            tracker.Stop();
            _source.SetThrottle(0);
            // A replication that failed before its checkpoints: the writes held for the disk copy go to the images.
            if (_holdingForCopy) _source.Output.ReleaseAll();
            if (!_committed) TakeDisksBack(); // a failure neither catch took: the locks still come back first
            if (_paused && !_committed) _source.ResumeGuest();
            _channels?.Dispose();
            _stream.Dispose();
        }
    }

    /// <summary>
    /// After a failed switch-over, before the guest runs here again: takes the image locks back. A
    /// destination that took them lets go when told of the failure, so this retries for a while;
    /// null when the locks are back (or were never handed over), else why they are not. The guest
    /// goes on here either way, as QEMU's does.
    /// </summary>
    private string? TakeDisksBack()
    {
        if (!_disksHandedOver) return null;
        _disksHandedOver = false;
        var waited = Stopwatch.StartNew();
        while (true)
        {
            try
            {
                _source.LockDisks();
                return null;
            }
            catch (Tern.Devices.Board.MachineException e)
            {
                if (waited.Elapsed >= RelockPatience) return $"the guest runs on without its image lock: {e.Message}";
                Thread.Sleep(RelockRetry);
            }
        }
    }

    private void WaitForRehearsal()
    {
        try
        {
            _rehearsal?.Wait(ReplyTimeout);
        }
        catch (AggregateException)
        {
            // The migration has failed already; the rehearsal's own error adds nothing.
        }
    }

    private MigrationInfo Final(MigrationStatus status, string? error) =>
        _info with { Status = status, ErrorDesc = error, TotalTimeMs = Ms(), ThrottlePercent = 0 };

    private void Setup(MigrationStreamWriter writer)
    {
        writer.WriteHeader();
        writer.WriteConfig(_fingerprint);
        writer.Flush();
        ExpectAck(0, "configuration");
        _info = _info with { SetupTimeMs = Ms(), Ram = EmptyRam() };
    }

    /// <summary>x-colo: asks the destination to be a standby; it must agree before any page goes.</summary>
    private void OfferReplication(MigrationStreamWriter writer)
    {
        writer.WriteReplicate((uint)_parameters().CheckpointDelayMs);
        writer.Flush();
        ExpectAck(MigrationStreamFormat.ReplicateReady, "replication");
    }

    /// <summary>
    /// x-colo-disk-copy: after a moment's pause (the devices drain the writes in flight) every guest
    /// disk write is held as epoch 0's, so the images stand still while they go to the standby;
    /// checkpoint 0 then carries what the guest wrote meanwhile.
    /// </summary>
    private void CopyDisks(MigrationStreamWriter writer)
    {
        _source.PauseGuest();
        try
        {
            _source.HoldDiskWrites(0);
            _holdingForCopy = true;
        }
        finally
        {
            _source.ResumeGuest();
        }
        DiskCopySender.Send(_source, writer, new BandwidthLimiter(() => _parameters().MaxBandwidth), _cancel);
    }

    /// <summary>
    /// The rounds converged: instead of stopping and copying, checkpoint 0 and the epochs follow
    /// (<see cref="Replication.PrimaryReplicator"/>) until the standby is declared lost or the
    /// replication is canceled; the guest stays here either way.
    /// </summary>
    private (MigrationInfo, GuestAfterMigration) Replicate(MigrationStreamWriter writer, DirtyPageTracker tracker)
    {
        var p = _parameters();
        var replicator = new Replication.PrimaryReplicator(_source, writer, _stream, tracker,
            TimeSpan.FromMilliseconds(p.CheckpointDelayMs), TimeSpan.FromMilliseconds(p.ReplicationFenceAfterMs), _source.Output,
            info => Report(_info with { Status = MigrationStatus.Colo, TotalTimeMs = Ms(), Checkpoints = info }, newPass: false), _cancel);
        _replicator = replicator;
        _holdingForCopy = false; // released as their checkpoints commit, or below
        if (_standbyLost) replicator.StandbyLost();
        var (status, error, guest) = (MigrationStatus.Failed, "replication ended unexpectedly", GuestAfterMigration.Unchanged);
        try
        {
            (status, error, guest) = replicator.Run(_runs);
        }
        finally
        {
            // Whatever ended it, a guest that goes on here lets its output flow again (a stopped one keeps nothing).
            if (guest != GuestAfterMigration.InDoubt) _source.Output.ReleaseAll();
        }
        return (_info with { Status = status, ErrorDesc = error, TotalTimeMs = Ms() }, guest);
    }

    /// <summary>Multifd: announces the data channels on the main socket, then connects them.</summary>
    private void OpenChannels(MigrationStreamWriter writer)
    {
        var p = _parameters();
        if (!p.Multifd || _connectChannel is null) return;
        var session = Guid.NewGuid();
        writer.WriteChannel(session, p.MultifdChannels, 0);
        writer.Flush();
        try
        {
            _channels = DataChannels.Open(p.MultifdChannels, _connectChannel, _source.Memory, session);
        }
        catch (Transport.MigrationRefusedException e)
        {
            throw new MigrationFailedException($"multifd: {e.Message}");
        }
    }

    /// <summary>Everything written so far, on the main socket and the data channels.</summary>
    private long Written(MigrationStreamWriter writer) => writer.BytesWritten + (_channels?.BytesWritten ?? 0);

    private RamTransferStats RamTotals(MigrationStreamWriter writer) => writer.RamTotals + (_channels?.RamTotals ?? default);

    private RamInfo EmptyRam() => new(0, _source.Memory.TotalSize, _source.Memory.TotalSize, 0, 0, 0, 0, 0, 0);

    private void Precopy(MigrationStreamWriter writer, DirtyPageTracker tracker)
    {
        var limiter = new BandwidthLimiter(() => _parameters().MaxBandwidth);
        var bandwidth = new LinkBandwidth();
        int throttle = 0;
        ulong previousRemaining = ulong.MaxValue;
        var roundClock = Stopwatch.StartNew();
        long roundStartBytes = Written(writer);
        SendRuns(writer, PageRuns.All(_source.Memory, ChunkPages), limiter);
        for (int round = 1; ; round++)
        {
            var (ended, _) = writer.WriteRoundEnd();
            writer.Flush();
            // Wait until the destination has applied the round: socket buffers hide megabytes it has
            // not taken yet (a destination backing fresh memory lags its sender), which would otherwise
            // be drained during the guest's pause, and the bandwidth would count them as delivered.
            ExpectAck(ended, $"round {ended}");
            bandwidth.Round(Written(writer) - roundStartBytes, roundClock.Elapsed);
            // Read the clock once: checked and subtracted apart, the wait could come out negative and throw.
            var rest = MinimumRound - roundClock.Elapsed;
            if (rest > TimeSpan.Zero) _cancel.WaitHandle.WaitOne(rest);
            _cancel.ThrowIfCancellationRequested();
            double seconds = roundClock.Elapsed.TotalSeconds;
            ulong dirtyPages = tracker.Sync();
            _syncs++;
            var stats = new RoundStats(round, dirtyPages * PageSize, previousRemaining, bandwidth.BytesPerSecond, dirtyPages * PageSize / seconds, _clock.Elapsed, throttle);
            previousRemaining = stats.RemainingBytes;
            var step = ConvergencePolicy.Next(stats, _parameters());
            UpdateInfo(writer, stats, round, throttle);
            _runs.Clear();
            PageRuns.Dirty(tracker.Regions, _runs);
            switch (step)
            {
                case ConvergenceStep.StopAndCopy:
                    return; // the pages this sync found go with the last ones, in stop-and-copy
                case ConvergenceStep.GiveUp g:
                    throw new MigrationFailedException(g.Reason);
                case ConvergenceStep.NextRound n:
                    if (n.ThrottlePercent != throttle) _source.SetThrottle(throttle = n.ThrottlePercent);
                    break;
            }
            roundClock.Restart();
            roundStartBytes = Written(writer);
            SendRuns(writer, _runs, limiter);
        }
    }

    private void SendRuns(MigrationStreamWriter writer, List<PageRun> runs, BandwidthLimiter limiter)
    {
        if (_channels is not null)
        {
            _channels.Send(runs, limiter, _cancel, left => ReportSending(writer, left));
            return;
        }
        ulong remaining = RunBatches.Bytes(System.Runtime.InteropServices.CollectionsMarshal.AsSpan(runs));
        var sinceReport = System.Diagnostics.Stopwatch.StartNew();
        RunBatches.Send(writer, runs, limiter, _cancel, sent =>
        {
            remaining -= sent;
            if (sinceReport.ElapsedMilliseconds < 100) return;
            sinceReport.Restart();
            ReportSending(writer, remaining);
        });
    }

    /// <summary>Progress within a round: what went so far and what is left of it.</summary>
    private void ReportSending(MigrationStreamWriter writer, ulong remaining)
    {
        var totals = RamTotals(writer);
        var ram = _info.Ram ?? EmptyRam();
        long sending = Ms() - _info.SetupTimeMs;
        // Until the first round ends there is no round rate: show the rate since sending began.
        double mbps = _info.Round > 0 || sending <= 0 ? ram.Mbps : Written(writer) * 8.0 / 1e3 / sending;
        Report(_info with
        {
            TotalTimeMs = Ms(),
            Ram = ram with
            {
                Transferred = (ulong)Written(writer), Remaining = remaining, Duplicate = totals.ZeroPages,
                Normal = totals.NormalPages, NormalBytes = totals.NormalBytes, Mbps = mbps,
            },
        }, newPass: false);
    }

    private void UpdateInfo(MigrationStreamWriter writer, RoundStats stats, int round, int throttle)
    {
        var totals = RamTotals(writer);
        _info = _info with
        {
            TotalTimeMs = Ms(),
            Round = round,
            ThrottlePercent = throttle,
            ExpectedDowntimeMs = (long)Math.Min(int.MaxValue, ConvergencePolicy.ExpectedDowntime(stats.RemainingBytes, stats.BandwidthBytesPerSec).TotalMilliseconds),
            Ram = new RamInfo((ulong)Written(writer), stats.RemainingBytes, _source.Memory.TotalSize, totals.ZeroPages,
                totals.NormalPages, totals.NormalBytes, stats.DirtyBytesPerSec / PageSize, stats.BandwidthBytesPerSec * 8 / 1e6, _syncs),
        };
        Report(_info, newPass: true);
    }

    /// <summary>
    /// Same host, shared RAM, x-ignore-shared on: offers the RAM file instead of its pages (see
    /// MigrationStreamFormat, "Shared RAM handed over"). True when the destination has mapped it;
    /// false when it declined (then RAM is copied as usual). A refusal fails the migration, and the
    /// guest, whose memory the destination never wrote, goes on here.
    /// </summary>
    private bool HandOverRam(MigrationStreamWriter writer)
    {
        if (!_parameters().IgnoreShared || _secure is not null || _socket.AddressFamily != AddressFamily.Unix || !_source.Memory.CanHandOver)
            return false;
        writer.WriteSharedRam(_source.Memory.TotalSize);
        writer.Flush();
        var reply = MigrationBackChannel.Read(_stream);
        if (reply is MigrationReply.Ack { Seq: MigrationStreamFormat.SharedRamDeclined }) return false;
        if (reply is not MigrationReply.Ack { Seq: MigrationStreamFormat.SharedRamReady }) throw Unexpected(reply, "shared RAM offer");
        RamHandover.Send(_socket.SafeHandle, _source.Memory, ReplyTimeout);
        ExpectAck(MigrationStreamFormat.SharedRamMapped, "shared RAM's descriptor");
        return true;
    }

    /// <summary>Pauses the guest, sends what is left and the machine state, and hands over. Returns the downtime in ms.</summary>
    private long StopAndCopy(MigrationStreamWriter writer, DirtyPageTracker tracker)
    {
        long stoppedAt = _source.PauseGuest(); // downtime counts from the moment the vCPUs parked
        _paused = true;
        _cancel.ThrowIfCancellationRequested();
        tracker.Sync();
        PageRuns.Dirty(tracker.Regions, _runs); // added to the runs the deciding sync left
        if (_channels is null) writer.WriteRam(System.Runtime.InteropServices.CollectionsMarshal.AsSpan(_runs));
        else
        {
            _channels.Send(_runs, new BandwidthLimiter(() => 0), _cancel, _ => { });
            _channels.End();
        }
        var (last, _) = writer.WriteRoundEnd();
        tracker.Stop();
        return SwitchOver(writer, stoppedAt, last);
    }

    /// <summary>
    /// With the guest paused since <paramref name="stoppedAt"/> and its RAM sent (up to round
    /// <paramref name="lastRound"/>, or handed over: null): the machine state, the image locks,
    /// End and the commit handshake. Returns the downtime in ms.
    /// </summary>
    private long SwitchOver(MigrationStreamWriter writer, long stoppedAt, uint? lastRound)
    {
        _paused = true;
        _cancel.ThrowIfCancellationRequested();
        writer.WriteMachineState(_source.SaveState(), _source.GuestWasRunning, _source.ConsoleHistory?.Snapshot());
        _source.UnlockDisks(); // flushed by the pause: the destination takes them before its guest runs
        _disksHandedOver = true;
        writer.WriteEnd();
        writer.Flush();
        if (lastRound is { } last) ExpectAck(last, "last round");
        ExpectAck(MigrationStreamFormat.RestoredSeq, "final state");

        if (_commitGate?.Invoke() is { } refusal)
        {
            MigrationBackChannel.Write(_stream, new MigrationReply.Error(refusal));
            throw new MigrationFailedException(refusal);
        }
        if (_cancel.IsCancellationRequested)
        {
            MigrationBackChannel.Write(_stream, new MigrationReply.Error("migration canceled by the source"));
            throw new OperationCanceledException(_cancel);
        }
        _committed = true;
        MigrationBackChannel.Write(_stream, MigrationReply.Done.Instance);
        var reply = MigrationBackChannel.Read(_stream);
        if (reply is not MigrationReply.Done)
            throw new MigrationFailedException($"destination answered {Describe(reply)} instead of confirming the switch-over");
        _info = _info with { Ram = _info.Ram! with { Transferred = (ulong)Written(writer) } };
        return (long)Stopwatch.GetElapsedTime(stoppedAt).TotalMilliseconds;
    }

    private void ExpectAck(uint seq, string what)
    {
        var reply = MigrationBackChannel.Read(_stream);
        if (reply is MigrationReply.Ack a && a.Seq == seq) return;
        throw Unexpected(reply, what);
    }

    private static MigrationFailedException Unexpected(MigrationReply reply, string what) =>
        new(reply is MigrationReply.Error e ? $"destination refused the {what}: {e.Text}" : $"destination answered {Describe(reply)} to the {what}");

    private static string Describe(MigrationReply reply) => reply switch
    {
        MigrationReply.Ack a => $"Ack({a.Seq})",
        MigrationReply.Error e => $"error '{e.Text}'",
        MigrationReply.Committed c => $"Committed({c.Epoch})",
        _ => "Done",
    };

    /// <summary>When the destination hangs up it may have said why first: read its Error frame if there is one.</summary>
    private string DescribeLostConnection(Exception e)
    {
        try
        {
            _socket.ReceiveTimeout = 500;
            if (MigrationBackChannel.Read(_stream) is MigrationReply.Error err) return $"destination refused the migration: {err.Text}";
        }
        catch (Exception)
        {
            // Nothing readable: report the connection failure itself.
        }
        return $"connection to the destination lost: {e.Message}";
    }

    private void TryWrite(Action<MigrationStreamWriter> write)
    {
        try
        {
            var w = new MigrationStreamWriter(_stream, _source.Memory);
            write(w);
            w.Flush();
        }
        catch (Exception e) when (e is IOException or SocketException or ObjectDisposedException or InvalidOperationException)
        {
            // The destination is gone already; it discards on its own.
        }
    }

    private void Report(MigrationInfo info, bool newPass)
    {
        _info = info;
        _progress(info, newPass);
    }

    private long Ms() => _clock.ElapsedMilliseconds;
}

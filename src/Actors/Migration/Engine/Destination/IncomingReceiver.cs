using System.Diagnostics;
using System.Net.Sockets;
using Tern.Actors.Migration.Engine.Transport;
using Tern.Actors.Migration.Engine.Wire;
using Tern.Devices.Board;
using Tern.Devices.Config;

namespace Tern.Actors.Migration.Engine.Destination;

/// <summary>
/// The destination side of a live migration, on its own thread: accepts one connection (a
/// connection that does not open with a valid stream header in time is logged, closed and
/// not counted: a port scan or a stray client must not end the wait for the source), checks
/// the source's configuration fingerprint against this VM's, applies RAM rounds into guest memory,
/// collects the final state, restores it without running the guest, takes the disks' image locks
/// (the source has let go of them), acknowledges, and resumes the guest only when the source
/// commits (see <see cref="MigrationStreamFormat"/> for the sequence). Every byte is untrusted: the
/// reader validates the stream, the machine validates each state. With TLS (<paramref name="tls"/>,
/// asked when the connection arrives, so that tls-creds set after -incoming still counts) each
/// connection's handshake comes first; a failed one fails the migration like a malformed stream.
/// Given <paramref name="standby"/> (the x-colo capability), it also accepts a replication: the
/// rounds as usual, then the checkpoints, which the <see cref="Replication.StandbyReceiver"/> it
/// makes takes over. Given <paramref name="ownDiskCopies"/> (x-colo-disk-copy) as well, its writable
/// drives are its own files, which the source fills (so their paths are not compared).
/// </summary>
public sealed class IncomingReceiver(
    Socket listener,
    IMigrationDestination destination,
    MigrationFingerprint own,
    Action<MigrationInfo> progress,
    Action<string> notice,
    CancellationToken cancel,
    Func<MigrationTls?>? tls = null,
    Func<Stream, MigrationStreamReader, Replication.StandbyReceiver?>? standby = null,
    Func<bool>? ownDiskCopies = null)
{
    private static readonly TimeSpan SilenceLimit = TimeSpan.FromSeconds(60);
    /// <summary>How long a new connection may take for its TLS handshake, and then to send the stream header, before it is dropped as a stray.</summary>
    public static readonly TimeSpan HeaderTimeout = TimeSpan.FromSeconds(10);
    private readonly Stopwatch _clock = new();
    private MigrationInfo _info = new(MigrationStatus.Setup);
    private IncomingChannels? _channels;

    public (MigrationInfo Info, GuestAfterMigration Guest) Run()
    {
        MigrationConnection? connection = null;
        Stream? stream = null;
        try
        {
            using var wake = cancel.Register(() => { listener.Dispose(); connection?.Socket.Dispose(); });
            Rehearse();
            MigrationStreamReader reader;
            MigrationStreamException? headerFault;
            MigrationTls? security;
            (connection, reader, headerFault, security) = AcceptMigration();
            stream = connection.Stream;
            _clock.Start();
            if (headerFault is not null) throw headerFault; // here, so that the source hears why
            connection.Socket.ReceiveTimeout = (int)SilenceLimit.TotalMilliseconds;
            return Receive(stream, reader, connection.Socket, security);
        }
        catch (Exception e) when (e is IOException or SocketException or ObjectDisposedException or OperationCanceledException
                                   or MigrationStreamException or MachineException or MigrationFailedException or InvalidOperationException)
        {
            string reason = cancel.IsCancellationRequested ? "incoming migration abandoned"
                : _channels?.Failure is { } channelFailure ? $"data channel: {channelFailure.Message}" : e.Message;
            TryReply(stream, new MigrationReply.Error(reason));
            return (Final(MigrationStatus.Failed, reason), GuestAfterMigration.Discarded);
        }
        finally
        {
            _channels?.Dispose();
            stream?.Dispose();
        }
    }

    /// <summary>
    /// The first connection that completes the TLS handshake (when TLS is asked) and opens with
    /// the stream's magic; every other one is logged and closed, and the wait goes on: neither a
    /// port scan nor a peer without the cluster's certificate can end it. A Tern stream whose
    /// header is still wrong (another format version) comes back with that fault: it is a
    /// migration, and fails as one.
    /// </summary>
    private (MigrationConnection, MigrationStreamReader, MigrationStreamException?, MigrationTls?) AcceptMigration()
    {
        while (true)
        {
            var accepted = listener.Accept();
            var security = tls?.Invoke();
            MigrationConnection connection;
            try
            {
                connection = MigrationConnection.Accept(accepted, HeaderTimeout, security);
            }
            catch (MigrationRefusedException e)
            {
                notice($"ignored a connection that is not a migration: {e.Message}");
                continue;
            }
            var stream = connection.Stream;
            var reader = new MigrationStreamReader(stream, destination.Memory);
            string? stray;
            MigrationStreamException? fault = null;
            using (var deadline = CancellationTokenSource.CreateLinkedTokenSource(cancel))
            {
                deadline.CancelAfter(HeaderTimeout);
                var hangUp = deadline.Token.Register(connection.Socket.Dispose);
                try
                {
                    reader.ReadHeader();
                    stray = null;
                }
                catch (MigrationStreamException e) when (reader.IsTernStream)
                {
                    (stray, fault) = (null, e);
                }
                catch (Exception e) when (e is MigrationStreamException or IOException or ObjectDisposedException)
                {
                    stray = e.Message;
                }
                hangUp.Dispose(); // waits for a hang-up under way, so the checks below see it
                cancel.ThrowIfCancellationRequested();
                if (deadline.IsCancellationRequested) stray = $"sent no stream header within {HeaderTimeout.TotalSeconds:F0} s";
            }
            if (stray is null) return (connection, reader, fault, security);
            notice($"ignored a connection that is not a migration: {stray}");
            connection.Dispose();
        }
    }

    /// <summary>Pays the restore path's one-time costs while nothing waits; only an optimisation, so a failure is ignored.</summary>
    private void Rehearse()
    {
        try
        {
            destination.RehearseRestore();
            StreamRehearsal.Setup(destination.Memory, own);
        }
        catch (Exception e) when (e is MachineException or Tern.Kvm.KvmException or MigrationStreamException)
        {
            // The real migration reports what is wrong, with the source's stream in hand.
        }
    }

    private (MigrationInfo, GuestAfterMigration) Receive(Stream stream, MigrationStreamReader reader, Socket socket, MigrationTls? security)
    {
        if (reader.ReadNext() is not MigrationSection.Config config)
            throw new MigrationFailedException("the stream did not start with the configuration");
        var differences = config.Fingerprint.Differences(own, ownDiskCopies?.Invoke() == true);
        if (differences.Count > 0) throw new MigrationFailedException("configuration differs: " + string.Join("; ", differences));
        MigrationBackChannel.Write(stream, new MigrationReply.Ack(0));
        Report(_info with { Status = MigrationStatus.Active, SetupTimeMs = _clock.ElapsedMilliseconds });

        var states = new IncomingStates();
        Replication.StandbyReceiver? replica = null;
        while (true)
        {
            switch (reader.ReadNext())
            {
                case MigrationSection.RamApplied:
                    break;
                case MigrationSection.Replicate:
                    replica = standby?.Invoke(stream, reader)
                        ?? throw new MigrationFailedException("the source asked for a standby; this side is not one (set the x-colo capability here)");
                    MigrationBackChannel.Write(stream, new MigrationReply.Ack(MigrationStreamFormat.ReplicateReady));
                    Report(_info with { TotalTimeMs = _clock.ElapsedMilliseconds });
                    break;
                case MigrationSection.DiskCopy copy:
                    replica!.TakeDiskCopy(copy); // the reader allows DiskCopy only after Replicate
                    break;
                case MigrationSection.Checkpoint first:
                    Report(_info with { Status = MigrationStatus.Colo, TotalTimeMs = _clock.ElapsedMilliseconds });
                    return replica!.Run(first, _info);
                case MigrationSection.SharedRam offer:
                    if (IncomingSharedRam.Take(offer, stream, socket, security is not null, reader, destination.Memory, SilenceLimit))
                        Report(_info with { TotalTimeMs = _clock.ElapsedMilliseconds, Ram = SharedRamInfo(reader) });
                    break;
                case MigrationSection.Channel c:
                    _channels = IncomingChannels.Accept(listener, c, destination.Memory, reader.Unverified,
                        onFailure: socket.Dispose, security, cancel);
                    reader.AwaitDataChannels = _channels.WaitForEnd;
                    break;
                case MigrationSection.RoundEnd r:
                    var totals = reader.RamTotals + (_channels?.RamTotals ?? default);
                    Report(_info with
                    {
                        Round = (int)r.Round,
                        TotalTimeMs = _clock.ElapsedMilliseconds,
                        Ram = new RamInfo((ulong)(reader.BytesRead + (_channels?.BytesRead ?? 0)), 0, destination.Memory.TotalSize,
                            totals.ZeroPages, totals.NormalPages, totals.NormalBytes, 0, 0, r.Round),
                    });
                    MigrationBackChannel.Write(stream, new MigrationReply.Ack(r.Round)); // the source waits for it before its next step
                    break;
                case MigrationSection.State s:
                    states.Take(s);
                    break;
                case MigrationSection.Cancel:
                    return (Final(MigrationStatus.Canceled, "the source canceled the migration"), GuestAfterMigration.Discarded);
                case MigrationSection.End:
                    return Finish(stream, states.All, states.WasRunning ?? throw new MigrationFailedException("the stream ended without the guest's run state"), states.Console);
                case MigrationSection.Config:
                    throw new MigrationFailedException("a second configuration section arrived");
            }
        }
    }

    /// <summary>RAM that arrived by descriptor: nothing was copied, all of it is here.</summary>
    private RamInfo SharedRamInfo(MigrationStreamReader reader) =>
        new((ulong)reader.BytesRead, 0, destination.Memory.TotalSize, 0, 0, 0, 0, 0, 0);

    private (MigrationInfo, GuestAfterMigration) Finish(Stream stream, IReadOnlyList<ComponentState> states, bool wasRunning,
        (long Written, byte[] Tail)? console)
    {
        destination.RestoreState(states);
        if (console is var (written, tail)) destination.ConsoleHistory?.Continue(written, tail);
        // The source let go of the images before End; if anyone else holds one now, the migration
        // fails here, before the guest could run on this side, and the source keeps it.
        destination.LockDisks();
        MigrationBackChannel.Write(stream, new MigrationReply.Ack(MigrationStreamFormat.RestoredSeq));
        switch (MigrationBackChannel.Read(stream))
        {
            case MigrationReply.Done:
                // The source committed: the guest is this side's now, whether or not the source hears the answer.
                if (wasRunning) destination.ResumeGuest();
                TryReply(stream, MigrationReply.Done.Instance);
                return (Final(MigrationStatus.Completed, null), wasRunning ? GuestAfterMigration.Arrived : GuestAfterMigration.ArrivedPaused);
            case MigrationReply.Error e:
                destination.UnlockDisks(); // the source takes them back right away
                return (Final(MigrationStatus.Canceled, e.Text), GuestAfterMigration.Discarded);
            default:
                throw new MigrationFailedException("the source answered the restored state with neither commit nor cancel");
        }
    }

    private static void TryReply(Stream? stream, MigrationReply reply)
    {
        if (stream is null) return;
        try
        {
            MigrationBackChannel.Write(stream, reply);
        }
        catch (Exception e) when (e is IOException or SocketException or ObjectDisposedException)
        {
            // The source is gone; nothing to tell.
        }
    }

    private MigrationInfo Final(MigrationStatus status, string? error) =>
        _info with { Status = status, ErrorDesc = error, TotalTimeMs = _clock.ElapsedMilliseconds };

    private void Report(MigrationInfo info)
    {
        _info = info;
        progress(info);
    }
}

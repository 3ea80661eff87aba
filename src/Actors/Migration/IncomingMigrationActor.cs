using System.Net.Sockets;
using Akka.Actor;
using Akka.Event;
using Tern.Actors.Migration.Engine;
using Tern.Actors.Migration.Engine.Destination;
using Tern.Actors.Migration.Engine.Replication;
using Tern.Actors.Migration.Engine.Transport;
using Tern.Devices.Config;
using static Tern.Actors.Migration.MigrationProtocol;

namespace Tern.Actors.Migration;

/// <summary>
/// The destination of one migration (`-incoming`), a child of the VmActor whose machine waits
/// paused: runs <see cref="IncomingReceiver"/> on a dedicated thread over the already-bound
/// listener, relays progress, reports how it ended, then removes the listener and stops.
/// </summary>
public sealed class IncomingMigrationActor : ReceiveActor
{
    private readonly MigrationWorker _worker = new();
    private readonly Socket _listener;
    private readonly MigrationEndpoint _endpoint;

    private sealed record ReceiverDone(MigrationInfo Info, GuestAfterMigration Guest);
    private sealed record ReceiverProgress(MigrationInfo Info);
    private sealed record ReceiverNotice(string Line);
    private sealed record StandbyProgress(CheckpointInfo Checkpoints);
    private MigrationInfo _info = new(MigrationStatus.Setup);
    private volatile StandbyReceiver? _standby;
    private volatile Stream? _standbyStream;

    /// <param name="tls">Asked when the source connects: the TLS it must use, or null for none.</param>
    /// <param name="standby">Asked when a source offers a replication: whether this side may be its standby (x-colo).</param>
    /// <param name="ownDiskCopies">Asked at the source's configuration: whether a standby here keeps its own copy of each writable drive (x-colo-disk-copy).</param>
    internal static Props Props(Socket listener, MigrationEndpoint endpoint, IMigrationDestination destination, MigrationFingerprint own,
        Func<MigrationTls?> tls, Func<bool>? standby = null, Func<bool>? ownDiskCopies = null) =>
        Akka.Actor.Props.Create(() => new IncomingMigrationActor(listener, endpoint, destination, own, tls, standby ?? (() => false),
            ownDiskCopies ?? (() => false)));

    public IncomingMigrationActor(Socket listener, MigrationEndpoint endpoint, IMigrationDestination destination, MigrationFingerprint own,
        Func<MigrationTls?> tls, Func<bool> standby, Func<bool> ownDiskCopies)
    {
        _listener = listener;
        _endpoint = endpoint;
        var self = Self;
        var receiver = new IncomingReceiver(listener, destination, own, info => self.Tell(new ReceiverProgress(info)),
            line => self.Tell(new ReceiverNotice(line)), _worker.Token, tls,
            standby: (stream, reader) =>
            {
                if (!standby()) return null;
                _standbyStream = stream;
                return _standby = new StandbyReceiver(stream, reader, destination,
                    checkpoints => self.Tell(new StandbyProgress(checkpoints)), _worker.Token, ownDiskCopies());
            }, ownDiskCopies);
        _worker.Start("migration-receive", receiver.Run, (info, guest) => self.Tell(new ReceiverDone(info, guest)));

        Receive<ReceiverProgress>(p => Context.Parent.Tell(new Progress(_info = p.Info, NewPass: false)));
        Receive<StandbyProgress>(p => Context.Parent.Tell(new Progress(_info = _info with { Status = MigrationStatus.Colo, Checkpoints = p.Checkpoints }, NewPass: false)));
        Receive<ReceiverNotice>(n => Context.GetLogger().Warning("incoming migration: {0}", n.Line));
        Receive<LostHeartbeat>(_ =>
        {
            // The primary is gone: resume from the committed checkpoint. Closing the stream wakes a read in progress.
            if (_standby?.Promote() == true)
            {
                _standbyStream?.Dispose();
                Sender.Tell(new FailoverStarted());
            }
            else Sender.Tell(new FailoverRefused("the standby holds no committed checkpoint yet"));
        });
        Receive<ReceiverDone>(d =>
        {
            Context.Parent.Tell(new Finished(d.Info, d.Guest));
            Context.Stop(Self);
        });
    }

    protected override void PostStop()
    {
        _worker.StopAndJoin();
        MigrationSockets.CloseListener(_listener, _endpoint);
    }
}

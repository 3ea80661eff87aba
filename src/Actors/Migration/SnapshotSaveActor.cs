using Akka.Actor;
using Tern.Actors.Migration.Engine;
using Tern.Actors.Migration.Engine.Snapshot;
using Tern.Actors.Migration.Engine.Source;
using Tern.Devices.Config;
using static Tern.Actors.Migration.MigrationProtocol;

namespace Tern.Actors.Migration;

/// <summary>
/// One save of the VM to a snapshot file (<c>migrate</c> to <c>file:PATH</c>), a short-lived child
/// of the VmActor: creates the file (answering the requester), runs <see cref="SnapshotSaver"/> on a
/// dedicated thread, relays its progress to the parent, takes cancel requests, reports how it
/// ended and stops.
/// </summary>
public sealed class SnapshotSaveActor : ReceiveActor
{
    private readonly MigrationWorker _worker = new();
    private readonly IMigrationSource _source;

    private sealed record SaverDone(MigrationInfo Info, GuestAfterMigration Guest);
    private sealed record SaverProgress(MigrationInfo Info, bool NewPass);

    internal static Props Props(string path, IActorRef requester, IMigrationSource source, MigrationFingerprint fingerprint,
        Func<MigrationParameters> parameters) =>
        Akka.Actor.Props.Create(() => new SnapshotSaveActor(path, requester, source, fingerprint, parameters));

    public SnapshotSaveActor(string path, IActorRef requester, IMigrationSource source, MigrationFingerprint fingerprint,
        Func<MigrationParameters> parameters)
    {
        _source = source;
        var self = Self;
        SnapshotSaver saver;
        try
        {
            saver = new SnapshotSaver(source, path, fingerprint, parameters, (info, pass) => self.Tell(new SaverProgress(info, pass)), _worker.Token);
        }
        catch (SnapshotException e)
        {
            requester.Tell(new MigrateRefused(e.Message));
            Context.Parent.Tell(new Finished(MigrationInfo.None, GuestAfterMigration.Unchanged));
            Context.Stop(Self);
            return;
        }
        requester.Tell(new MigrateStarted());
        _worker.Start("snapshot-save", saver.Run, (info, guest) => self.Tell(new SaverDone(info, guest)));

        Receive<SaverProgress>(p => Context.Parent.Tell(new Progress(p.Info, p.NewPass)));
        Receive<SaverDone>(d =>
        {
            Context.Parent.Tell(new Finished(d.Info, d.Guest));
            Context.Stop(Self);
        });
        Receive<MigrateCancel>(_ =>
        {
            _worker.Cancel();
            Sender.Tell(new CancelAccepted());
        });
    }

    protected override void PostStop()
    {
        _source.Abandon();
        _worker.StopAndJoin();
    }
}

using System.Net.Sockets;
using Akka.Actor;
using Tern.Actors.Migration.Engine;
using Tern.Actors.Migration.Engine.Source;
using Tern.Actors.Migration.Engine.Transport;
using Tern.Devices.Config;
using static Tern.Actors.Migration.MigrationProtocol;

namespace Tern.Actors.Migration;

/// <summary>
/// One outgoing live migration, a short-lived child of the VmActor: connects (answering the
/// requester), runs <see cref="PrecopySender"/> on a dedicated thread, relays its progress to the
/// parent, takes cancel requests, reports how it ended and stops.
/// </summary>
public sealed class MigrationActor : ReceiveActor
{
    private static readonly TimeSpan ConnectTimeout = TimeSpan.FromSeconds(5);

    /// <summary>How long the guest may wait, restored but paused on both sides, for the commit approver.</summary>
    public static readonly TimeSpan CommitApprovalTimeout = TimeSpan.FromSeconds(10);
    private readonly MigrationWorker _worker = new();
    private readonly IMigrationSource _source;
    private PrecopySender? _sender;

    private sealed record Connected(Socket Socket);
    private sealed record ConnectFailed(string Reason);
    private sealed record SenderDone(MigrationInfo Info, GuestAfterMigration Guest);
    private sealed record SenderProgress(MigrationInfo Info, bool NewPass);

    /// <param name="tls">TLS on every connection of this migration; null: plain sockets.</param>
    internal static Props Props(MigrationEndpoint destination, IActorRef requester, IMigrationSource source,
        MigrationFingerprint fingerprint, Func<MigrationParameters> parameters, IActorRef? commitApprover = null, MigrationTls? tls = null) =>
        Akka.Actor.Props.Create(() => new MigrationActor(destination, requester, source, fingerprint, parameters, commitApprover, tls));

    public MigrationActor(MigrationEndpoint destination, IActorRef requester, IMigrationSource source,
        MigrationFingerprint fingerprint, Func<MigrationParameters> parameters, IActorRef? commitApprover, MigrationTls? tls)
    {
        _source = source;
        var self = Self;
        // Only the TCP or UNIX connection answers `migrate`; the TLS handshake is the sender's first
        // step, so that its failure is the migration's (status failed, error-desc), as in QEMU.
        Task.Run(() => MigrationSockets.Connect(destination, ConnectTimeout))
            .ContinueWith(t => t.IsCompletedSuccessfully ? (object)new Connected(t.Result)
                : new ConnectFailed(t.Exception?.InnerException?.Message ?? "connect failed"))
            .PipeTo(self);

        Receive<ConnectFailed>(f =>
        {
            requester.Tell(new MigrateRefused(f.Reason));
            Context.Parent.Tell(new Finished(MigrationInfo.None, GuestAfterMigration.Unchanged));
            Context.Stop(Self);
        });
        Receive<Connected>(c =>
        {
            requester.Tell(new MigrateStarted());
            var sender = new PrecopySender(source, c.Socket, fingerprint, parameters,
                (info, pass) => self.Tell(new SenderProgress(info, pass)), _worker.Token,
                secure: tls is null ? null : plain => MigrationConnection.SecureClient(plain, destination, ConnectTimeout, tls),
                connectChannel: () => MigrationConnection.Connect(destination, ConnectTimeout, tls),
                commitGate: commitApprover is null ? null : () => AskApproval(commitApprover, destination, _worker.Token));
            _sender = sender;
            _worker.Start("migration-send", sender.Run, (info, guest) => self.Tell(new SenderDone(info, guest)));
        });
        Receive<SenderProgress>(p => Context.Parent.Tell(new Progress(p.Info, p.NewPass)));
        Receive<SenderDone>(d =>
        {
            Context.Parent.Tell(new Finished(d.Info, d.Guest));
            Context.Stop(Self);
        });
        Receive<LostHeartbeat>(_ =>
        {
            // The standby is gone: the guest goes on here alone, its held output released.
            _sender?.StandbyLost();
            Sender.Tell(new FailoverStarted());
        });
        Receive<MigrateCancel>(_ =>
        {
            _worker.Cancel();
            Sender.Tell(new CancelAccepted());
        });
    }

    /// <summary>Blocking, from the sender's thread: null when approved, else why not.</summary>
    private static string? AskApproval(IActorRef approver, MigrationEndpoint destination, CancellationToken cancel)
    {
        try
        {
            return approver.Ask<IMigrationMessage>(new ApproveCommit(destination), CommitApprovalTimeout, cancel).GetAwaiter().GetResult() switch
            {
                CommitApproved => null,
                CommitRefused r => $"the switch-over was refused: {r.Reason}",
                var other => $"the commit approver answered {other.GetType().Name}",
            };
        }
        catch (AskTimeoutException)
        {
            return $"the commit approver did not answer within {CommitApprovalTimeout.TotalSeconds:F0} s";
        }
        catch (OperationCanceledException)
        {
            return "the migration was canceled while it waited for the commit approval";
        }
    }

    protected override void PostStop()
    {
        _source.Abandon();
        _worker.StopAndJoin();
    }
}

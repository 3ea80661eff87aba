using Akka.Actor;
using Akka.Event;
using Tern.Actors.Cluster.Protocol;
using Tern.Actors.Migration.Engine;
using Tern.Actors.Vm;
using Tern.Devices.Config;
using static Tern.Actors.Cluster.NodeProtocol;
using static Tern.Actors.Migration.MigrationProtocol;

namespace Tern.Actors.Cluster.Host;

/// <summary>
/// The host's side of protected VMs (the sequence is in <see cref="NodeProtocol"/>): as the
/// standby's host it runs the standby instance (an incoming instance with x-colo, see
/// <see cref="PrepareArrival"/>), passes its checkpoint figures on and promotes it when told; as
/// the primary's host it runs a <see cref="ReplicationSource"/> child per replication.
/// </summary>
public sealed partial class HostActor
{
    private static readonly TimeSpan PromotionTimeout = TimeSpan.FromSeconds(5);

    private sealed record PromotionAnswer(string Name, long Incarnation, IMigrationMessage? Reply);

    private void ProtectionHandlers()
    {
        Receive<PrepareStandby>(p => PrepareArrival(p.Definition, p.Incarnation, local: false, VmRunPhase.Standby, p.Copies));
        Receive<StartReplication>(OnStartReplication);
        Receive<ReplicationSource.Ended>(OnReplicationEnded);
        Receive<EndReplication>(e => Current(e.Name, e.Incarnation)?.Replication?.Tell(e));
        Receive<PromoteStandby>(OnPromoteStandby);
        Receive<PromotionAnswer>(OnPromotionAnswer);
        Receive<VmEvent.MigrationProgress>(p => p.Side == MigrationSide.Incoming && p.Info.Checkpoints is not null, OnStandbyProgress);
    }

    private void OnStartReplication(StartReplication order)
    {
        if (Current(order.Name, order.Incarnation) is not { Phase: VmRunPhase.Running } instance)
        {
            _manager.Tell(new ReplicationEnded(_name, order.Name, order.Incarnation, order.StandbyIncarnation, $"vm {order.Name} does not run on {_name}", PrimaryGone: false));
            return;
        }
        if (instance.Replication is not null)
        {
            if (instance.ReplicatingTo != order.StandbyIncarnation)
                _manager.Tell(new ReplicationEnded(_name, order.Name, order.Incarnation, order.StandbyIncarnation, "another replication of it still runs", PrimaryGone: false));
            return;
        }
        var target = new MigrationEndpoint(MigrationTransport.Tcp, order.Address, order.Port);
        var (destination, refusal) = OutgoingDestination(instance, target, order.Address, order.StandbyIncarnation);
        if (destination is null)
        {
            _manager.Tell(new ReplicationEnded(_name, order.Name, order.Incarnation, order.StandbyIncarnation, refusal!, PrimaryGone: false));
            return;
        }
        instance.ReplicatingTo = order.StandbyIncarnation;
        instance.Replication = Context.ActorOf(ReplicationSource.Props(order, _name, instance.Actor, _manager, destination,
                copyDisks: instance.Definition.Disks.Any(d => d.Writable)),
            $"replication-{order.Name}-{order.StandbyIncarnation}");
        _log.Info("vm {0} replicating to its standby on {1} at {2}:{3}, epoch {4} ms", order.Name, order.To, order.Address, order.Port, order.EpochMs);
    }

    private void OnReplicationEnded(ReplicationSource.Ended ended)
    {
        _manager.Tell(new ReplicationEnded(_name, ended.Name, ended.Incarnation, ended.StandbyIncarnation, ended.Reason, ended.VmGone));
        if (Current(ended.Name, ended.Incarnation) is not { } instance || instance.ReplicatingTo != ended.StandbyIncarnation) return;
        instance.Replication = null;
        instance.OutgoingRelay?.Dispose();
        instance.OutgoingRelay = null;
        _log.Info("vm {0}'s replication to standby {1} ended: {2}", ended.Name, ended.StandbyIncarnation, ended.Reason);
        if (instance.PendingMigration is var (order, replyTo))
        {
            instance.PendingMigration = null;
            Self.Tell(order, replyTo);
        }
    }

    /// <summary>A standby's figures (the sender is its VM), for the manager: its first commit protects the VM, a broken stream may promote it.</summary>
    private void OnStandbyProgress(VmEvent.MigrationProgress progress)
    {
        if (_instances.Values.FirstOrDefault(i => i.Actor.Equals(Sender)) is not { Phase: VmRunPhase.Standby } instance) return;
        _manager.Tell(new ReplicationStatus(_name, instance.Name, instance.Incarnation, true, ReplicationFigures.From(progress.Info.Checkpoints!)));
    }

    /// <summary>
    /// A standby's own copies of its primary's writable disks, each made empty with the size of the
    /// disk it copies (which this host sees: shared storage); null, or why one could not be made.
    /// </summary>
    private static string? MakeDiskCopies(IReadOnlyList<DiskCopyOrder> copies)
    {
        foreach (var copy in copies)
        {
            try
            {
                long length = new FileInfo(copy.From).Length;
                Directory.CreateDirectory(Path.GetDirectoryName(copy.To)!);
                using var file = new FileStream(copy.To, FileMode.Create, FileAccess.Write);
                file.SetLength(length);
            }
            catch (Exception e) when (e is IOException or UnauthorizedAccessException)
            {
                return $"cannot make the standby's copy {copy.To} of {copy.From}: {e.Message}";
            }
        }
        return null;
    }

    /// <summary>A standby that ended without taking over leaves no copy behind; a promoted one's copies are the VM's disks.</summary>
    private void RemoveDiskCopies(VmInstance instance)
    {
        if (instance.Promoted) return;
        foreach (var copy in instance.DiskCopies)
        {
            try
            {
                File.Delete(copy.To);
            }
            catch (Exception e) when (e is IOException or UnauthorizedAccessException)
            {
                _log.Warning("vm {0}: could not remove the standby's disk copy {1}: {2}", instance.Name, copy.To, e.Message);
            }
        }
    }

    /// <summary>The manager has stored the promotion: the standby resumes from its last committed checkpoint (x-colo-lost-heartbeat).</summary>
    private void OnPromoteStandby(PromoteStandby promote)
    {
        if (Current(promote.Name, promote.Incarnation) is not { } instance)
        {
            // Gone already (its end is reported, or on its way): the manager restarts the VM.
            if (!(_ended.TryGetValue(promote.Name, out var ended) && ended.Incarnation == promote.Incarnation))
                _manager.Tell(new VmEnded(_name, promote.Name, promote.Incarnation, VmEndReason.PromotionFailed, $"no standby of it on {_name}"));
            return;
        }
        if (instance.Phase != VmRunPhase.Standby || instance.Promoted) return; // promoted already (a repeated order)
        instance.Promoted = true;
        // Its TAPs were down while it stood by: from now on the guest's network is this one.
        if (Taps.SetLinks(instance.Definition, instance.Incarnation, up: true) is { } failed) _log.Warning("vm {0}: {1}", instance.Name, failed);
        string name = instance.Name;
        long incarnation = instance.Incarnation;
        instance.Actor.Ask<IMigrationMessage>(new LostHeartbeat(), PromotionTimeout)
            .ContinueWith(t => new PromotionAnswer(name, incarnation, t.IsCompletedSuccessfully ? t.Result : null))
            .PipeTo(Self);
        _log.Info("vm {0}: promoting its standby (incarnation {1})", name, incarnation);
    }

    /// <summary>Started: the VM publishes its arrival (<see cref="OnIncomingEnded"/>). Refused: the standby held no committed checkpoint, and ends.</summary>
    private void OnPromotionAnswer(PromotionAnswer answer)
    {
        if (answer.Reply is FailoverStarted || Current(answer.Name, answer.Incarnation) is not { Phase: VmRunPhase.Standby } instance) return;
        string why = answer.Reply is FailoverRefused r ? r.Reason : $"the standby did not answer within {PromotionTimeout.TotalSeconds:0} s";
        End(instance, VmEndReason.PromotionFailed, $"its standby could not take over: {why}");
    }
}

using Tern.Actors.Cluster.Protocol;

namespace Tern.Actors.Cluster.Registry;

/// <summary>
/// The events the <see cref="ClusterManager"/> persists: the registry is what these events,
/// applied in order from the latest snapshot, add up to (<see cref="ClusterRegistry.Apply"/>).
/// Each carries the time it was decided, for the event log.
/// </summary>
public interface IManagerEvent : IClusterMessage
{
    DateTime At { get; }

    /// <summary>One line for <c>tern ctl events</c>.</summary>
    string Describe();
}

public static class ManagerEvents
{
    public sealed record VmDefined(VmDefinition Definition, DateTime At) : IManagerEvent
    {
        public string Describe() => $"vm {Definition.Name} defined ({Definition.MemoryBytes >> 20} MiB, {Definition.Vcpus} vCPU)";
    }

    /// <summary>The VM should run on <paramref name="Host"/> as incarnation <paramref name="Incarnation"/> (create, start, failover).</summary>
    public sealed record VmPlaced(string Name, string Host, long Incarnation, string Why, DateTime At) : IManagerEvent
    {
        public string Describe() => $"vm {Name} placed on {Host} ({Why})";
    }

    /// <summary>The VM should run nowhere; the instance that runs stops.</summary>
    public sealed record VmStopRequested(string Name, DateTime At) : IManagerEvent
    {
        public string Describe() => $"vm {Name} stop requested";
    }

    /// <summary>
    /// The VM's instance ended and nothing restarts it: it is stopped. <paramref name="Error"/> says
    /// why when it ended on its own (boot failure, guest failure), null when it was asked to.
    /// </summary>
    public sealed record VmHalted(string Name, long Incarnation, string Reason, string? Error, DateTime At) : IManagerEvent
    {
        public string Describe() => $"vm {Name} stopped: {Reason}";
    }

    /// <summary>The VM had to leave its host (it went down) and no host has room: it waits for one.</summary>
    public sealed record VmUnplaced(string Name, string Reason, DateTime At) : IManagerEvent
    {
        public string Describe() => $"vm {Name} waits for a host: {Reason}";
    }

    public sealed record VmDeleted(string Name, DateTime At) : IManagerEvent
    {
        public string Describe() => $"vm {Name} deleted";
    }

    /// <summary>A host joined (or came back) at the Akka address <paramref name="Address"/>.</summary>
    public sealed record HostJoined(string Name, string Address, DateTime At) : IManagerEvent
    {
        public string Describe() => $"host {Name} up at {Address}";
    }

    /// <summary>A host left the cluster (downed by the Split Brain Resolver, or removed).</summary>
    public sealed record HostLeft(string Name, string Reason, DateTime At) : IManagerEvent
    {
        public string Describe() => $"host {Name} down: {Reason}";
    }

    /// <summary>
    /// The host's health checks failed (<paramref name="Reason"/>): it is drained like a host in
    /// maintenance, and returns to service when it reports good health long enough, or by undrain.
    /// </summary>
    public sealed record HostDegraded(string Name, string Reason, DateTime At) : IManagerEvent
    {
        public string Describe() => $"host {Name} degraded ({Reason}): draining it";
    }

    /// <summary>A degraded host's checks have passed for its recover-after: it takes VMs again.</summary>
    public sealed record HostRecovered(string Name, DateTime At) : IManagerEvent
    {
        public string Describe() => $"host {Name} healthy again: it takes VMs again";
    }

    public sealed record HostDrainChanged(string Name, bool Draining, DateTime At) : IManagerEvent
    {
        public string Describe() => Draining ? $"host {Name} draining (unschedulable)" : $"host {Name} schedulable again";
    }

    /// <summary>A live migration of <paramref name="Name"/> from <paramref name="From"/> to <paramref name="To"/> began.</summary>
    public sealed record MigrationBegan(string Name, string From, string To, long Incarnation, DateTime At) : IManagerEvent
    {
        public string Describe() => From == To ? $"vm {Name} moving into a new VMM process on {From}" : $"vm {Name} migrating {From} -> {To}";
    }

    /// <summary>
    /// The migration ended. Committed: the VM now runs on the destination (this event is the
    /// commit that moves ownership). Otherwise it stays on the source.
    /// </summary>
    public sealed record MigrationEnded(string Name, bool Committed, string Detail, DateTime At) : IManagerEvent
    {
        public string Describe() => Committed ? $"vm {Name} migration committed" : $"vm {Name} migration abandoned: {Detail}";
    }

    /// <summary>A control API token was created (its hash only).</summary>
    public sealed record ApiTokenIssued(ApiTokenEntry Token, DateTime At) : IManagerEvent
    {
        public string Describe() => $"api token {Token.Id} ({Token.Role.ToString().ToLowerInvariant()}) issued";
    }

    /// <summary>A control API token was revoked: no node accepts it any more.</summary>
    public sealed record ApiTokenRevoked(string Id, DateTime At) : IManagerEvent
    {
        public string Describe() => $"api token {Id} revoked";
    }

    // ---- protected VMs (issue 18) ----

    /// <summary>The VM is to be protected: a standby copy kept on another host, checkpointed every <paramref name="EpochMs"/>.</summary>
    public sealed record VmProtected(string Name, int EpochMs, string? RequestedStandby, DateTime At) : IManagerEvent
    {
        public string Describe() => $"vm {Name} protected (epoch {EpochMs} ms{(RequestedStandby is null ? "" : $", standby on {RequestedStandby}")})";
    }

    /// <summary>The VM's protection ended; its standby, if any, is discarded.</summary>
    public sealed record VmUnprotected(string Name, string Reason, DateTime At) : IManagerEvent
    {
        public string Describe() => $"vm {Name} unprotected: {Reason}";
    }

    /// <summary>A standby of the VM's instance <paramref name="PrimaryIncarnation"/> is to run on <paramref name="Host"/> as incarnation <paramref name="Incarnation"/>.</summary>
    public sealed record StandbyAssigned(string Name, string Host, long Incarnation, long PrimaryIncarnation, DateTime At) : IManagerEvent
    {
        public string Describe() => $"vm {Name}: standby syncing on {Host}";
    }

    /// <summary>The standby <paramref name="Incarnation"/> committed its first checkpoint: it can take over.</summary>
    public sealed record StandbySynced(string Name, long Incarnation, DateTime At) : IManagerEvent
    {
        public string Describe() => $"vm {Name}: standby synced, protected";
    }

    /// <summary>The standby <paramref name="Incarnation"/> is given up (lost, refused a checkpoint, or its host leaves): the VM runs on alone until a new one is synced.</summary>
    public sealed record StandbyDropped(string Name, long Incarnation, string Reason, DateTime At) : IManagerEvent
    {
        public string Describe() => $"vm {Name}: standby dropped ({Reason}), degraded";
    }

    /// <summary>
    /// The primary is lost: the standby on <paramref name="Host"/> takes over as the VM's instance
    /// <paramref name="Incarnation"/>, from its last committed checkpoint. Stored before the standby runs.
    /// </summary>
    public sealed record StandbyPromoted(string Name, string Host, long Incarnation, string Why, DateTime At) : IManagerEvent
    {
        public string Describe() => $"vm {Name}: standby on {Host} takes over ({Why})";
    }

    /// <summary>
    /// The VM's disks are now <paramref name="Disks"/>: a promoted standby runs on its own copies,
    /// which a restart, a migration and the next standby use from then on. Stored with the promotion.
    /// </summary>
    public sealed record VmDisksMoved(string Name, IReadOnlyList<VmDisk> Disks, DateTime At) : IManagerEvent
    {
        public string Describe() => $"vm {Name}'s disks are now {string.Join(", ", Disks.Select(d => d.Path))}";
    }
}

using Akka.Actor;
using Tern.Actors.Cluster.Protocol;
using Tern.Actors.Vm;

namespace Tern.Actors.Cluster.Host;

/// <summary>One VM instance a <see cref="HostActor"/> runs: its actor, console, phase and usage.</summary>
internal sealed class VmInstance(VmDefinition definition, long incarnation, Tern.Devices.Config.VmConfig config, ConsoleRing console)
{
    public VmDefinition Definition { get; } = definition;
    public long Incarnation { get; } = incarnation;
    /// <summary>The machine it boots (the definition's, or an incoming migration's).</summary>
    public Tern.Devices.Config.VmConfig Config { get; } = config;
    /// <summary>The VM process a previous run of this node left running this instance, which it re-adopts instead of booting.</summary>
    public Vm.Process.VmOrphan? Orphan { get; init; }
    /// <summary>Where its VM process keeps its channel and pid file (null while it has none: in the node's process, or not started yet).</summary>
    public Vm.Process.VmProcessFiles? Files { get; set; }
    /// <summary>The VM process whose guest it takes over on this host (a local migration), whose user its own runs as.</summary>
    public Vm.Process.VmProcessFiles? SameUserAs { get; init; }
    /// <summary>Its VmActor; a boot tried again (a disk still locked elsewhere) gets a fresh one.</summary>
    public IActorRef Actor { get; set; } = ActorRefs.Nobody;
    /// <summary>Boots tried so far, and until when one that finds a disk image locked is tried again.</summary>
    public int BootAttempts { get; set; }
    public DateTime ImageWaitUntil { get; set; }
    public ConsoleRing Console { get; } = console;
    public VmRunPhase Phase { get; set; } = VmRunPhase.Booting;
    /// <summary>Arrived (or is arriving) by live migration: its console goes on from the previous instance's offsets.</summary>
    public bool ContinuesEarlierOutput { get; init; }
    /// <summary>Why the host is ending it, once it is: a stop order or fencing.</summary>
    public (VmEndReason Reason, string Detail)? Ending { get; set; }
    public IReadOnlyList<int> VcpuThreads { get; set; } = [];
    /// <summary>Where an incoming instance listens for its migration (a TCP port, or a unix socket for a local one).</summary>
    public Tern.Devices.Config.MigrationEndpoint? Listening { get; set; }
    /// <summary>The migration away of this instance, while it runs.</summary>
    public IActorRef? Outgoing { get; set; }
    /// <summary>The node's TLS relay for its incoming or outgoing migration, while one runs (a VM process of a TLS cluster holds no key).</summary>
    public Migration.Engine.Transport.MigrationTlsRelay? IncomingRelay { get; set; }
    public Migration.Engine.Transport.MigrationTlsRelay? OutgoingRelay { get; set; }
    public VmCpuAccount Usage { get; } = new();
    /// <summary>A protected VM's replication to its standby, while it runs (this instance is the primary).</summary>
    public IActorRef? Replication { get; set; }
    /// <summary>The standby incarnation <see cref="Replication"/> feeds.</summary>
    public long ReplicatingTo { get; set; }
    /// <summary>A migration ordered while the replication ran: it starts once the replication has ended.</summary>
    public (NodeProtocol.StartMigration Order, IActorRef ReplyTo)? PendingMigration { get; set; }
    /// <summary>A standby told to take over (it arrives when its guest resumes).</summary>
    public bool Promoted { get; set; }
    /// <summary>A standby's own copies of its primary's writable disks, which go with it unless it takes over.</summary>
    public IReadOnlyList<DiskCopyOrder> DiskCopies { get; set; } = [];

    public string Name => Definition.Name;

    public VmRuntime Runtime() => new(Name, Incarnation, Phase, Definition.MemoryBytes, Definition.Vcpus, Usage.CpuLoad, Usage.MemoryUsedBytes);
}

using Tern.Devices.Config;

namespace Tern.Actors.Vm.Process;

/// <summary>
/// The bodies only the VM channel carries (the rest are <see cref="VmProtocol"/>,
/// <see cref="Migration.MigrationProtocol"/> and <see cref="VmEvent"/> messages, sent as they are):
/// the two greetings, and the few messages whose in-process form holds an actor reference.
/// </summary>
public static class VmChannelMessages
{
    /// <summary>Node -> VM, the first frame of a connection: who drives the VM now, and from which console offset it wants the output.</summary>
    public sealed record NodeHello(string Node, long ConsoleFrom);

    /// <summary>VM -> node, the answer to <see cref="NodeHello"/>: which VM instance this process runs, so a node re-adopting it can check it against the registry.</summary>
    public sealed record VmHello(string Name, long Incarnation, int Pid, int ProtocolVersion);

    /// <summary>
    /// Node -> VM request (replied with CommandDone): the node has lost the majority of its cluster
    /// and will end this VM itself within <paramref name="Milliseconds"/>; should the node vanish
    /// meanwhile, the VM must end by then too, not node-gone-after after the node went. 0 cancels
    /// (the majority is reachable again).
    /// </summary>
    public sealed record FenceCountdown(long Milliseconds);

    /// <summary>
    /// Node -> VM request (replied with CommandDone), with fencing by lease: the host holds its
    /// lease until <paramref name="MonotonicMs"/> (<see cref="Environment.TickCount64"/>, one clock for
    /// every process on the machine). The VM quits its guest when that passes without a later
    /// deadline, whatever became of the node; a deadline that arrives after the current one passed
    /// revives nothing (Cluster.Leases.HostLeaseSettings has the timing argument).
    /// </summary>
    public sealed record LeaseDeadline(long MonotonicMs);

    /// <summary>Node -> VM: <see cref="Migration.MigrationProtocol.Migrate"/> with the node as commit approver (asked by <see cref="CommitRequest"/>).</summary>
    public sealed record MigrateTo(MigrationEndpoint Destination);

    /// <summary>VM -> node request: the migration's destination holds the guest; may it run there? Replied with CommitApproved or CommitRefused.</summary>
    public sealed record CommitRequest(MigrationEndpoint Destination);

    /// <summary>
    /// VM -> node event: serial output bytes [<paramref name="From"/>, From + Data.Length) of
    /// everything the guest wrote (an incoming VM's offsets go on from the source's);
    /// <paramref name="Truncated"/> when bytes the node asked for were already dropped.
    /// </summary>
    public sealed record ConsoleData(long From, byte[] Data, bool Truncated);
}

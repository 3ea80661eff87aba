namespace Tern.Actors.Cluster.Protocol;

public enum VmState { Pending, Starting, Running, Migrating, Stopping, Stopped }

/// <summary>A VM as <c>tern ctl vms</c> shows it: <paramref name="Host"/> is null while it runs nowhere.</summary>
/// <param name="CpuLoad">Host cores it wanted at its host's last report (1.0 = one core); null while it runs nowhere.</param>
/// <param name="MemoryUsedBytes">Memory its VM process is charged (its cgroup's), guest RAM included; null when its host does not measure it.</param>
/// <param name="Protection">Its protection (a standby copy on another host); null reads as off.</param>
public sealed record VmView(string Name, string? Host, VmState State, ulong MemoryBytes, int Vcpus, long Incarnation, string? LastError, VmDefinition Definition,
    double? CpuLoad = null, ulong? MemoryUsedBytes = null, ProtectionView? Protection = null);

/// <summary>One line of the cluster's event log (<c>tern ctl events</c>).</summary>
public sealed record ClusterEventRecord(long Sequence, DateTime At, string Text);

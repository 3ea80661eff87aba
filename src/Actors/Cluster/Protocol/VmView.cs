namespace Tern.Actors.Cluster.Protocol;

public enum VmState { Pending, Starting, Running, Migrating, Stopping, Stopped }

/// <summary>A VM as <c>tern ctl vms</c> shows it: <paramref name="Host"/> is null while it runs nowhere.</summary>
public sealed record VmView(string Name, string? Host, VmState State, ulong MemoryBytes, int Vcpus, long Incarnation, string? LastError, VmDefinition Definition);

/// <summary>One line of the cluster's event log (<c>tern ctl events</c>).</summary>
public sealed record ClusterEventRecord(long Sequence, DateTime At, string Text);

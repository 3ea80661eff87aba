namespace Tern.Actors.Cluster.Protocol;

public enum HostState { Up, Draining, Down }

/// <summary>A host as <c>tern ctl hosts</c> shows it; <paramref name="Load"/> is null until it has reported.</summary>
/// <param name="Degraded">Why its health checks failed, while it is drained for that (null: healthy).</param>
public sealed record HostView(string Name, string Address, HostState State, HostLoad? Load, int Vms, string? Degraded = null);

/// <summary>What a host measured of itself at <paramref name="At"/>.</summary>
/// <param name="CpuLoad">Share of the host's CPU time busy since the previous sample, 0..1.</param>
/// <param name="GuestCapacityBytes">How much guest memory this host offers to the cluster.</param>
/// <param name="GuestCommittedBytes">Guest memory of the VMs it runs now.</param>
public sealed record HostLoad(
    DateTime At,
    int Cpus,
    double CpuLoad,
    ulong MemoryTotalBytes,
    ulong MemoryAvailableBytes,
    ulong GuestCapacityBytes,
    ulong GuestCommittedBytes,
    int GuestVcpus);

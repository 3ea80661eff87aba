using Tern.Devices.Board;

namespace Tern.Actors.Vm;

/// <summary>Messages between a VmActor and its VcpuGroupActor.</summary>
public static class VcpuGroupProtocol
{
    public interface IVcpuGroupMessage;

    /// <summary>VmActor -> group: park every vCPU outside the guest; replied with <see cref="Paused"/>.</summary>
    public sealed record Pause : IVcpuGroupMessage;

    /// <summary>Group -> requester: every vCPU is parked.</summary>
    /// <summary>Group -> requester: every vCPU is parked; <paramref name="ParkedAt"/> is the Stopwatch timestamp when the first one did (the guest stopped making progress there).</summary>
    public sealed record Paused(long ParkedAt = 0) : IVcpuGroupMessage;

    /// <summary>VmActor -> group: let every vCPU enter the guest again; replied with <see cref="Resumed"/>.</summary>
    public sealed record Resume : IVcpuGroupMessage;

    /// <summary>Group -> requester: every vCPU that was parked runs again; <paramref name="WokeAt"/> is the Stopwatch timestamp when the last one woke (the guest ran whole again there; 0 when none was parked).</summary>
    public sealed record Resumed(long WokeAt = 0) : IVcpuGroupMessage;

    /// <summary>Group -> parent: a vCPU thread ended because of what the guest did (power-off, reset, fault).</summary>
    public sealed record VcpuStopped(int VcpuId, VcpuOutcome Outcome) : IVcpuGroupMessage;

    /// <summary>Migration -> group: run the vCPUs only (100 - Percent) % of the time (auto-converge); 0 lifts it.</summary>
    public sealed record SetThrottle(int Percent) : IVcpuGroupMessage;

    /// <summary>VmActor -> group: the host thread id of each vCPU; replied with <see cref="ThreadIds"/>.</summary>
    public sealed record GetThreadIds : IVcpuGroupMessage;

    public sealed record ThreadIds(IReadOnlyList<int> HostThreadIds) : IVcpuGroupMessage;
}

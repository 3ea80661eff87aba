using Tern.Actors.Vm.Process;

namespace Tern.Actors.Cluster.Host;

/// <summary>
/// The load one VM instance puts on its host, sampled once per report. With a VM process in a
/// cgroup of its own, its CPU time is the whole process's (vCPUs, device models, migration
/// threads) from the cgroup, plus what its vCPU threads waited on a run queue; without one (in
/// the node's process, or a host without cgroups) it is what its vCPU threads ran and waited.
/// Memory is what the cgroup is charged, guest RAM included, when there is one.
/// </summary>
internal sealed class VmCpuAccount
{
    private ulong _lastDemandNs;
    private DateTime _lastSampled;
    private bool _lastFromCgroup;

    /// <summary>Host cores the VM wanted since the previous sample (1.0 = one core).</summary>
    public double CpuLoad { get; private set; }

    /// <summary>Memory charged to its process's cgroup; null when it has none.</summary>
    public ulong? MemoryUsedBytes { get; private set; }

    public void Sample(ThreadTime vcpus, VmProcessUsage? process, DateTime now)
    {
        bool fromCgroup = process is not null;
        ulong demandNs = process is { } p ? p.CpuNanoseconds + vcpus.WaitNs : vcpus.DemandNs;
        double seconds = (now - _lastSampled).TotalSeconds;
        // A first sample, a change of source (the cgroup appeared or went), or a counter that went
        // back (a vCPU thread replaced by a reset) gives no rate: keep the last one.
        if (_lastSampled != default && fromCgroup == _lastFromCgroup && seconds > 0 && demandNs >= _lastDemandNs)
            CpuLoad = (demandNs - _lastDemandNs) / 1e9 / seconds;
        _lastDemandNs = demandNs;
        _lastSampled = now;
        _lastFromCgroup = fromCgroup;
        MemoryUsedBytes = process?.MemoryBytes is > 0 and var bytes ? bytes : null;
    }
}

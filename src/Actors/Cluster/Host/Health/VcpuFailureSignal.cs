namespace Tern.Actors.Cluster.Host.Health;

/// <summary>
/// vCPUs of this host's VMs that could not go on (KVM internal errors, failed entries, triple
/// faults), as the host reports them. One guest's triple fault is its own bug; several within
/// the window, across VMs, point at the machine.
/// </summary>
internal sealed class VcpuFailureSignal(CountLimit limit) : IHealthSignal
{
    private readonly List<(DateTime At, string Vm, string Detail)> _failures = [];

    public string Name => "vcpu-failures";

    public void Record(DateTime at, string vm, string detail)
    {
        if (limit.Threshold > 0) _failures.Add((at, vm, detail));
    }

    public HealthReading Sample(DateTime now)
    {
        _failures.RemoveAll(f => f.At <= now - limit.Window);
        if (limit.Threshold <= 0 || _failures.Count < limit.Threshold) return HealthReading.Good;
        var last = _failures.MaxBy(f => f.At);
        return HealthReading.BadBecause(
            $"{ReasonText.Count((ulong)_failures.Count, "vCPU failure")} in {ReasonText.Duration(limit.Window)} (last: vm {last.Vm}: {last.Detail})");
    }
}

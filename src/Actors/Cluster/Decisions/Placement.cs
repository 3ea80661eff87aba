using Tern.Actors.Cluster.Protocol;

namespace Tern.Actors.Cluster.Decisions;

/// <summary>
/// Where a VM goes: among the hosts it fits (memory free, no VM of its anti-affinity group), the
/// least loaded after adding it. Load is what is committed (share of guest memory, guest vCPUs per
/// host CPU) plus, with less weight, the measured CPU load: a VM just placed shows in the
/// commitments at once but in the measurement only seconds later. Ties go to the name that sorts
/// first so the same inputs always give the same host.
/// </summary>
public static class Placement
{
    public static string? Choose(VmDefinition vm, IEnumerable<HostCandidate> hosts, string? exclude = null) =>
        hosts.Where(h => h.Name != exclude && h.Fits(vm))
            .OrderBy(h => Score(h, vm))
            .ThenBy(h => h.Name, StringComparer.Ordinal)
            .Select(h => h.Name)
            .FirstOrDefault();

    private const double MeasuredLoadWeight = 0.25;

    private static double Score(HostCandidate h, VmDefinition vm) =>
        (double)(h.CommittedBytes + vm.MemoryBytes) / Math.Max(1, h.CapacityBytes)
        + (double)(h.CommittedVcpus + vm.Vcpus) / Math.Max(1, h.Cpus)
        + MeasuredLoadWeight * h.CpuLoad;

    /// <summary>Why <see cref="Choose"/> found nothing, for the operator.</summary>
    public static string NoRoomReason(VmDefinition vm, IReadOnlyCollection<HostCandidate> hosts)
    {
        if (hosts.Count == 0) return "no schedulable host has reported yet";
        ulong mostFree = hosts.Max(h => h.FreeBytes);
        if (mostFree < vm.MemoryBytes)
            return $"no host has {vm.MemoryBytes >> 20} MiB free (most free: {mostFree >> 20} MiB)";
        return $"every host with room already runs a VM of anti-affinity group '{vm.AntiAffinityGroup}'";
    }

    /// <summary>
    /// Places each VM in turn, each choice seeing the ones before it. Returns the host per VM, or
    /// null where none had room.
    /// </summary>
    public static IReadOnlyList<(VmDefinition Vm, string? Host)> ChooseAll(IEnumerable<VmDefinition> vms, IReadOnlyList<HostCandidate> hosts)
    {
        var current = hosts.ToDictionary(h => h.Name);
        var result = new List<(VmDefinition, string?)>();
        // The largest first: they are the hardest to fit.
        foreach (var vm in vms.OrderByDescending(v => v.MemoryBytes).ThenBy(v => v.Name, StringComparer.Ordinal))
        {
            string? host = Choose(vm, current.Values);
            if (host is not null) current[host] = current[host].With(vm);
            result.Add((vm, host));
        }
        return result;
    }
}

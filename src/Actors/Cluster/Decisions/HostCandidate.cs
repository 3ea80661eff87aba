using Tern.Actors.Cluster.Protocol;
using Tern.Actors.Cluster.Registry;

namespace Tern.Actors.Cluster.Decisions;

/// <summary>
/// A host placement may choose: the guest memory it offers and has committed, its CPUs and the
/// guest vCPUs committed to them (counting every VM the registry places there, booted or not),
/// its measured CPU load and the anti-affinity groups of its VMs.
/// </summary>
public sealed record HostCandidate(
    string Name, ulong CapacityBytes, ulong CommittedBytes, int Cpus, int CommittedVcpus, double CpuLoad, IReadOnlySet<string> Groups)
{
    public ulong FreeBytes => CapacityBytes > CommittedBytes ? CapacityBytes - CommittedBytes : 0;

    public bool Fits(VmDefinition vm) =>
        vm.MemoryBytes <= FreeBytes && (vm.AntiAffinityGroup is null || !Groups.Contains(vm.AntiAffinityGroup));

    /// <summary>This host with <paramref name="vm"/> added: the next choice in the same plan sees it.</summary>
    public HostCandidate With(VmDefinition vm) => this with
    {
        CommittedBytes = CommittedBytes + vm.MemoryBytes,
        CommittedVcpus = CommittedVcpus + vm.Vcpus,
        Groups = vm.AntiAffinityGroup is null ? Groups : new HashSet<string>(Groups) { vm.AntiAffinityGroup },
    };

    public HostCandidate Without(VmDefinition vm) => this with
    {
        CommittedBytes = CommittedBytes > vm.MemoryBytes ? CommittedBytes - vm.MemoryBytes : 0,
        CommittedVcpus = Math.Max(0, CommittedVcpus - vm.Vcpus),
    };

    /// <summary>
    /// The schedulable hosts: up, not draining, and reported (capacity is unknown before the first
    /// report). Committed memory counts the VMs placed there, migrations heading there and standbys kept there.
    /// </summary>
    public static IReadOnlyList<HostCandidate> From(ClusterRegistry registry, IReadOnlyDictionary<string, HostLoad> loads) =>
        registry.Hosts.Values
            .Where(h => h.State == HostState.Up && loads.ContainsKey(h.Name))
            .Select(h =>
            {
                var placed = registry.VmsOn(h.Name).Select(v => v.Definition)
                    .Concat(registry.Migrations.Values.Where(m => m.To == h.Name).Select(m => registry.Vms[m.Vm].Definition))
                    .Concat(registry.StandbysOn(h.Name).Select(p => registry.Vms[p.Vm].Definition))
                    .ToArray();
                return new HostCandidate(
                    h.Name,
                    loads[h.Name].GuestCapacityBytes,
                    placed.Aggregate(0UL, (sum, d) => sum + d.MemoryBytes),
                    loads[h.Name].Cpus,
                    placed.Sum(d => d.Vcpus),
                    loads[h.Name].CpuLoad,
                    placed.Where(d => d.AntiAffinityGroup is not null).Select(d => d.AntiAffinityGroup!).ToHashSet());
            })
            .ToArray();
}

using Tern.Actors.Cluster;
using Tern.Actors.Cluster.Decisions;
using Tern.Actors.Cluster.Protocol;
using Tern.Actors.Cluster.Registry;
using static Tern.Actors.Cluster.Registry.ManagerEvents;

namespace Tern.Actors.Tests.Cluster;

/// <summary>Small registries and hosts the decision tests build on.</summary>
internal static class ClusterSamples
{
    public const ulong MiB = 1UL << 20;
    public static readonly DateTime T0 = new(2026, 1, 1, 0, 0, 0, DateTimeKind.Utc);

    public static VmDefinition Def(string name, ulong mib = 256, string? group = null) =>
        new(name, "/boot/kernel", null, "mode=ticks", mib * MiB, 1, [], group);

    public static HostLoad Load(ulong capacityMib, double cpu = 0.1, int cpus = 4) =>
        new(T0, cpus, cpu, 16384 * MiB, 12000 * MiB, capacityMib * MiB, 0, 0);

    public static ClusterRegistry WithHosts(params string[] names) =>
        names.Aggregate(ClusterRegistry.Empty, (r, n) => r.Apply(new HostJoined(n, $"akka.tcp://tern@127.0.0.1:{7000 + r.Hosts.Count}", T0)));

    public static ClusterRegistry Place(this ClusterRegistry r, VmDefinition vm, string host) =>
        r.Apply(new VmDefined(vm, T0)).Apply(new VmPlaced(vm.Name, host, r.NextIncarnation, "test", T0));

    public static IReadOnlyList<HostCandidate> Candidates(ClusterRegistry r, params (string Host, ulong CapacityMib, double Cpu)[] loads) =>
        HostCandidate.From(r, loads.ToDictionary(l => l.Host, l => Load(l.CapacityMib, l.Cpu)));
}

using System.Text.Json.Nodes;
using Tern.Actors.Vm;
using Tern.Devices.Config;

namespace Tern.Host.Qmp;

/// <summary>query-cpus-fast's reply in QEMU's shape, from the VM's topology and its vCPU threads.</summary>
public static class CpuQuery
{
    /// <summary>
    /// One entry per vCPU: <c>{"cpu-index","qom-path","thread-id","props":{"socket-id",..,"core-id","thread-id"},"arch","target"}</c>.
    /// Topology ids count threads fastest, then cores, clusters, dies, sockets; die-id and cluster-id
    /// appear only when there is more than one.
    /// </summary>
    public static JsonArray Build(VmConfig config, IReadOnlyList<VmProtocol.CpuInfo> cpus)
    {
        var topology = config.Topology ?? CpuTopology.SingleSocket(config.Vcpus);
        var list = new JsonArray();
        foreach (var cpu in cpus.OrderBy(c => c.Index))
        {
            int i = cpu.Index;
            int threadId = i % topology.Threads;
            int coreId = i / topology.Threads % topology.Cores;
            int clusterId = i / (topology.Threads * topology.Cores) % topology.Clusters;
            int dieId = i / (topology.Threads * topology.Cores * topology.Clusters) % topology.Dies;
            int socketId = i / (topology.Threads * topology.Cores * topology.Clusters * topology.Dies);

            var props = new JsonObject { ["socket-id"] = socketId };
            if (topology.Dies > 1) props["die-id"] = dieId;
            if (topology.Clusters > 1) props["cluster-id"] = clusterId;
            props["core-id"] = coreId;
            props["thread-id"] = threadId;

            list.Add(new JsonObject
            {
                ["cpu-index"] = i,
                ["qom-path"] = $"/machine/unattached/device[{i}]",
                ["thread-id"] = cpu.HostThreadId,
                ["props"] = props,
                ["arch"] = "x86",
                ["target"] = "x86_64",
            });
        }
        return list;
    }
}

using System.Text.Json.Nodes;
using Akka.Actor;
using static Tern.Actors.Vm.VmProtocol;

namespace Tern.Host.Qmp;

/// <summary>query-name, query-cpus-fast and query-block: the VM's definition and vCPU threads, asked of the VmActor.</summary>
public static class VmQueries
{
    public static void AddTo(QmpCommandTable table, IActorRef vm)
    {
        table.Add("query-name", (_, _) => VmAsk.Run<ConfigReply>(vm, new QueryConfig(), "query-name",
            r => new QmpReply.Return(r.Config.Name is { } name ? new JsonObject { ["name"] = name } : new JsonObject())));

        table.Add("query-cpus-fast", async (_, _) =>
        {
            ConfigReply? config = null;
            var reply = await VmAsk.Run<ConfigReply>(vm, new QueryConfig(), "query-cpus-fast", r =>
            {
                config = r;
                return QmpReply.Empty;
            });
            if (config is null) return reply;
            return await VmAsk.Run<Cpus>(vm, new QueryCpus(), "query-cpus-fast",
                cpus => new QmpReply.Return(CpuQuery.Build(config.Config, cpus.List)));
        });

        table.Add("query-block", (_, _) => VmAsk.Run<ConfigReply>(vm, new QueryConfig(), "query-block",
            r => new QmpReply.Return(BlockQuery.Build(r.Config))));
    }
}

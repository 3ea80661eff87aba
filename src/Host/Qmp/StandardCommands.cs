using System.Text.Json.Nodes;
using Akka.Actor;
using Tern.Devices.Config;

namespace Tern.Host.Qmp;

/// <summary>
/// The command table of a standalone VM: protocol commands (qmp_capabilities, query-version,
/// query-commands), the lifecycle and queries of the VmActor, and the migration commands.
/// </summary>
public static class StandardCommands
{
    public static QmpCommandTable Create(IActorRef vm)
    {
        var table = new QmpCommandTable();
        // Accepted but not required, as in StratoVirt: Tern offers no optional capability to enable.
        table.Add("qmp_capabilities", (args, _) => Task.FromResult(
                args.Get("enable") is { } enable && enable.GetArrayLength() > 0
                    ? QmpReply.Generic($"capability '{EchoedText.Clip(enable[0].ToString())}' is not offered")
                    : QmpReply.Empty),
            QmpArgument.Optional("enable", QmpArgType.Array));
        table.Add("query-version", (_, _) => Task.FromResult<QmpReply>(new QmpReply.Return(QmpVersion.Tern.ToJson())));
        table.Add("query-commands", (_, _) => Task.FromResult<QmpReply>(new QmpReply.Return(
            new JsonArray([.. table.AvailableNames.Select(n => (JsonNode)new JsonObject { ["name"] = n })]))));
        LifecycleCommands.AddTo(table, vm);
        VmQueries.AddTo(table, vm);
        MigrationCommands.AddTo(table, vm);
        return table;
    }
}

using System.Text.Json.Nodes;
using Akka.Actor;
using Tern.Actors.Vm;
using static Tern.Actors.Vm.VmProtocol;

namespace Tern.Host.Qmp;

/// <summary>stop, cont, system_reset, system_powerdown, quit and query-status: one message each to the VmActor.</summary>
public static class LifecycleCommands
{
    public static void AddTo(QmpCommandTable table, IActorRef vm)
    {
        table.Add("stop", Lifecycle(vm, VmCommand.Stop));
        table.Add("cont", Lifecycle(vm, VmCommand.Cont));
        table.Add("system_reset", Lifecycle(vm, VmCommand.SystemReset));
        table.Add("system_powerdown", Lifecycle(vm, VmCommand.SystemPowerdown));
        table.Add("quit", Lifecycle(vm, VmCommand.Quit));
        table.Add("query-status", (_, _) => VmAsk.Run<VmProtocol.Status>(vm, new QueryStatus(), "query-status",
            s => new QmpReply.Return(StatusJson(s.State))));
    }

    /// <summary>QEMU's StatusInfo: <c>{"status":"running","singlestep":false,"running":true}</c>.</summary>
    public static JsonObject StatusJson(VmRunState state) => new()
    {
        ["status"] = state.QmpStatus(),
        ["singlestep"] = false,
        ["running"] = state.IsRunning(),
    };

    private static QmpHandler Lifecycle(IActorRef vm, VmCommand command) => (_, _) =>
        VmAsk.Run<IVmMessage>(vm, new Command(command), VmLifecycle.Name(command), reply => reply switch
        {
            CommandDone => QmpReply.Empty,
            CommandFailed f => QmpReply.Generic(f.Reason),
            _ => QmpReply.Generic($"unexpected answer {reply.GetType().Name}"),
        });
}

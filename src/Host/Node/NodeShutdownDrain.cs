using Akka.Actor;
using Tern.Actors.Cluster.Protocol;
using static Tern.Actors.Cluster.NodeProtocol;
using static Tern.Actors.Cluster.Protocol.ClusterProtocol;

namespace Tern.Host.Node;

/// <summary>
/// A node stopping in order (issue 19): before it leaves, it asks the manager to empty its host
/// live (<see cref="HostShuttingDown"/>: the host is degraded for that, and takes VMs again once the
/// node is back and healthy) and waits until none of its VMs is still here but those that fit on no
/// other host, at most tern.node.shutdown-drain-timeout, or until a second signal. What stays then
/// stops with the node and restarts elsewhere from its definition (the cold path); each is named.
/// </summary>
public static class NodeShutdownDrain
{
    private static readonly TimeSpan AskTimeout = TimeSpan.FromSeconds(10);
    private static readonly TimeSpan PollEvery = TimeSpan.FromMilliseconds(500);

    public static async Task RunAsync(IActorRef manager, string host, TimeSpan timeout, CancellationToken hurry, Action<string> say)
    {
        ShutdownDrainStarted started;
        try
        {
            started = await manager.Ask<ShutdownDrainStarted>(new HostShuttingDown(host), AskTimeout, hurry);
        }
        catch (Exception e) when (e is TaskCanceledException or OperationCanceledException or AskTimeoutException)
        {
            say($"tern node {host}: leaving without moving its VMs: {(hurry.IsCancellationRequested ? "a second signal" : "the cluster manager did not answer")}");
            return;
        }
        say($"tern node {host}: stopping: its VMs move to other hosts first (at most {timeout.TotalSeconds:0} s; a second signal skips this)");
        var deadline = DateTime.UtcNow + timeout;
        IReadOnlyList<VmView> here = [];
        while (true)
        {
            try
            {
                here = [.. (await manager.Ask<VmList>(new GetVms(), AskTimeout, hurry)).Vms.Where(v => v.Host == host)];
                if (here.All(v => v.State != VmState.Migrating && started.Stuck.Contains(v.Name))) break;
                if (DateTime.UtcNow >= deadline) break;
                await Task.Delay(PollEvery, hurry);
            }
            catch (Exception e) when (e is TaskCanceledException or OperationCanceledException or AskTimeoutException)
            {
                if (hurry.IsCancellationRequested || DateTime.UtcNow >= deadline) break;
            }
        }
        foreach (var vm in here)
        {
            string why = started.Stuck.Contains(vm.Name) ? "it fits on no other host"
                : hurry.IsCancellationRequested ? "a second signal ended the wait"
                : $"it had not moved within {timeout.TotalSeconds:0} s";
            say($"tern node {host}: vm {vm.Name} stops here and restarts elsewhere from its definition ({why})");
        }
        if (here.Count == 0) say($"tern node {host}: its VMs run on other hosts now; leaving the cluster");
    }
}

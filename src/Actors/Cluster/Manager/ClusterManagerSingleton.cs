using Akka.Actor;
using Akka.Cluster.Tools.Singleton;
using Akka.Pattern;

namespace Tern.Actors.Cluster.Manager;

/// <summary>
/// Runs the <see cref="ClusterManager"/> as a cluster singleton: every node starts the singleton
/// manager (the oldest node hosts the one instance; when that node goes the next oldest takes
/// over and recovers the registry from the journal) and a proxy that routes to wherever it runs.
/// A backoff supervisor restarts the manager if its journal fails, instead of leaving the cluster
/// without one. Every node also reads the manager's stores once (<see cref="ManagerJournalWarmup"/>)
/// so that whichever takes it over recovers it without a cold start.
/// </summary>
public static class ClusterManagerSingleton
{
    public const string ManagerName = "cluster-manager";
    public const string ProxyName = "cluster-manager-proxy";

    /// <summary>Starts this node's part of the singleton; returns the proxy to send commands to.</summary>
    public static IActorRef Start(ActorSystem system, ClusterManagerSettings settings)
    {
        var supervised = BackoffSupervisor.Props(Backoff.OnStop(
            ClusterManager.Props(settings), "registry", TimeSpan.FromSeconds(1), TimeSpan.FromSeconds(10), 0.2, maxNrOfRetries: -1));
        system.ActorOf(ClusterSingletonManager.Props(supervised, PoisonPill.Instance, ClusterSingletonManagerSettings.Create(system)), ManagerName);
        system.ActorOf(ManagerJournalWarmup.Props(), "manager-journal-warmup");
        return system.ActorOf(ClusterSingletonProxy.Props($"/user/{ManagerName}", ClusterSingletonProxySettings.Create(system)), ProxyName);
    }
}

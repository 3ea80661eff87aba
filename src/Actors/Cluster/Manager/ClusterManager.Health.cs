using Akka.Actor;
using Tern.Actors.Cluster.Decisions;
using static Tern.Actors.Cluster.NodeProtocol;

namespace Tern.Actors.Cluster.Manager;

/// <summary>
/// The manager's side of host health (issue 19; the decisions are <see cref="HealthPlan"/>'s): a
/// host that reports failing checks is stored as degraded and drained live, one that reports
/// passing checks again (after its own recover-after) takes VMs again.
/// </summary>
public sealed partial class ClusterManager
{
    private void HealthCommands()
    {
        Command<HostHealthReport>(OnHostHealth);
        Command<HostShuttingDown>(OnHostShuttingDown);
    }

    private void OnHostShuttingDown(HostShuttingDown stopping)
    {
        var now = DateTime.UtcNow;
        var outcome = HealthPlan.OnShutdown(_registry, Candidates(), _settings.MigrationLimits, stopping.Host, now);
        _events.Add(now, outcome.Stuck.Count == 0
            ? $"host {stopping.Host}'s node is stopping: its VMs move away first"
            : $"host {stopping.Host}'s node is stopping: {string.Join(", ", outcome.Stuck)} fit on no other host and restart elsewhere only once it has left");
        var requester = Sender;
        PersistThen(outcome.Events, () =>
        {
            requester.Tell(new ShutdownDrainStarted(outcome.Stuck), Self);
            SendOrders();
            BeginMigrations(outcome.Events);
        });
    }

    private void OnHostHealth(HostHealthReport report)
    {
        var now = DateTime.UtcNow;
        var outcome = HealthPlan.OnReport(_registry, Candidates(), _settings.MigrationLimits, report.Host, report.Healthy, report.Reason, now);
        if (outcome.Stuck.Count > 0)
            _events.Add(now, $"host {report.Host} degraded: {string.Join(", ", outcome.Stuck)} fit on no other host and stay on it");
        PersistThen(outcome.Events, () =>
        {
            SendOrders();
            BeginMigrations(outcome.Events);
        });
    }
}

using Akka.Actor;
using Akka.Configuration;
using Akka.TestKit.Xunit2;
using Tern.Actors.Cluster;
using Tern.Actors.Cluster.Manager;

namespace Tern.Actors.Tests.Cluster;

/// <summary>
/// A one-node cluster whose journal is a SQLite file of the test's own (deleted afterwards), for
/// specs that start ClusterManagers, stop them and start them again to see what they recover.
/// </summary>
public abstract class ManagerTestKit : TestKit, IDisposable
{
    private readonly string _database;
    private readonly ClusterManagerSettings _settings;

    /// <param name="config">The configuration for a journal in the given database file.</param>
    protected ManagerTestKit(Func<string, Config> config) : this(Path.Combine(Path.GetTempPath(), $"tern-manager-{Guid.NewGuid():N}.db"), config) { }

    private ManagerTestKit(string database, Func<string, Config> config) : base(config(database))
    {
        _database = database;
        _settings = ClusterManagerSettings.From(Sys.Settings.Config);
        var cluster = Akka.Cluster.Cluster.Get(Sys);
        cluster.Join(cluster.SelfAddress);
        AwaitCondition(() => cluster.SelfMember.Status == Akka.Cluster.MemberStatus.Up, TimeSpan.FromSeconds(10));
    }

    protected string SelfAddress => Akka.Cluster.Cluster.Get(Sys).SelfAddress.ToString();

    protected IActorRef StartManager() => Sys.ActorOf(ClusterManager.Props(_settings));

    protected void StopManager(IActorRef manager)
    {
        Watch(manager);
        Sys.Stop(manager);
        ExpectTerminated(manager);
    }

    public new void Dispose()
    {
        base.Dispose();
        Microsoft.Data.Sqlite.SqliteConnection.ClearAllPools();
        File.Delete(_database);
    }
}

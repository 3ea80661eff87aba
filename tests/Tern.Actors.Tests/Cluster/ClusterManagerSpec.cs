using Akka.Actor;
using Akka.Persistence;
using Akka.TestKit.Xunit2;
using Tern.Actors.Cluster;
using Tern.Actors.Cluster.Manager;
using Tern.Actors.Cluster.Protocol;
using Tern.Actors.Cluster.Registry;
using static Tern.Actors.Cluster.NodeProtocol;
using static Tern.Actors.Cluster.Protocol.ClusterProtocol;
using static Tern.Actors.Tests.Cluster.ClusterSamples;

namespace Tern.Actors.Tests.Cluster;

/// <summary>
/// The ClusterManager in a one-node cluster with its journal in SQLite, driven by test probes that
/// play the hosts: it persists what it decides, orders hosts, and a new incarnation of it (same
/// persistence id) recovers the same registry from snapshot and journal.
/// </summary>
public sealed class ClusterManagerSpec() : ManagerTestKit(database => ClusterTestConfig.Create(database, snapshotEvery: 5))
{
    private static HostReport Report(string host, string address, params VmRuntime[] vms) =>
        new(host, address, Load(4096) with { At = DateTime.UtcNow }, vms);

    private static T Ask<T>(IActorRef manager, object message)
    {
        object reply = manager.Ask<object>(message, TimeSpan.FromSeconds(10)).Result;
        return reply is T t ? t : throw new Xunit.Sdk.XunitException(
            $"expected {typeof(T).Name}, got {reply}; hosts: {string.Join(", ", manager.Ask<HostList>(new GetHosts()).Result.Hosts)}");
    }

    private VmView View(IActorRef manager, string name) => Ask<VmList>(manager, new GetVms()).Vms.Single(v => v.Name == name);

    [Fact]
    public void Creates_orders_the_host_tracks_the_instance_and_recovers_the_same_registry_after_a_restart()
    {
        var host = CreateTestProbe();
        var manager = StartManager();
        manager.Tell(Report("h1", SelfAddress), host);
        AwaitAssert(() => Assert.Equal(HostState.Up, Ask<HostList>(manager, new GetHosts()).Hosts.Single().State));

        Assert.Equal("vm v1 created on h1", Ask<Done>(manager, new CreateVm(Def("v1", 128))).Message);
        var run = host.ExpectMsg<RunInstance>();
        Assert.Equal(("v1", 1L), (run.Definition.Name, run.Incarnation));
        Assert.Equal(VmState.Starting, View(manager, "v1").State);

        manager.Tell(new VmStarted("h1", "v1", 1), host);
        manager.Tell(Report("h1", SelfAddress, new VmRuntime("v1", 1, VmRunPhase.Running, 128 * MiB, 1, 0.1)), host);
        AwaitAssert(() => Assert.Equal(VmState.Running, View(manager, "v1").State));

        Assert.Equal(FailureKind.Conflict, Ask<Failed>(manager, new CreateVm(Def("v1"))).Kind);
        Ask<Done>(manager, new CreateVm(Def("v2", 64)));
        // The reconciler may repeat v1's order before the report catches up: look for v2's among them.
        host.FishForMessage(m => m is RunInstance { Definition.Name: "v2" });
        Ask<Done>(manager, new StopVm("v1"));
        host.FishForMessage(m => m is StopInstance { Name: "v1", Incarnation: 1 });
        manager.Tell(new VmEnded("h1", "v1", 1, VmEndReason.Stopped, "stopped"), host);
        AwaitAssert(() => Assert.Equal(VmState.Stopped, View(manager, "v1").State));
        var before = Ask<VmList>(manager, new GetVms());
        StopManager(manager);

        var recovered = StartManager();
        var after = Ask<VmList>(recovered, new GetVms());
        Assert.Equal(before.Vms.Select(v => (v.Name, v.Host, v.Definition.MemoryBytes, v.Definition.Kernel)),
            after.Vms.Select(v => (v.Name, v.Host, v.Definition.MemoryBytes, v.Definition.Kernel)));
        Assert.Equal(VmState.Stopped, after.Vms.Single(v => v.Name == "v1").State);
        Assert.Equal("h1", after.Vms.Single(v => v.Name == "v2").Host);
        Assert.Equal("h1", Ask<HostList>(recovered, new GetHosts()).Hosts.Single().Name);
        // The next incarnation continues where the journal left off.
        recovered.Tell(Report("h1", SelfAddress), host);
        AwaitAssert(() => Assert.NotNull(Ask<HostList>(recovered, new GetHosts()).Hosts.Single().Load));
        Ask<Done>(recovered, new StartVm("v1"));
        Assert.Equal(3, View(recovered, "v1").Incarnation);
        StopManager(recovered);
    }

    [Fact]
    public void Saves_snapshots_and_recovers_from_snapshot_plus_journal()
    {
        var host = CreateTestProbe();
        var manager = StartManager();
        manager.Tell(Report("h1", SelfAddress), host);
        for (int i = 0; i < 7; i++) Ask<Done>(manager, new CreateVm(Def($"v{i}", 64))); // 1 + 14 events: snapshots at 5, 10, 15
        Ask<Done>(manager, new StopVm("v0"));
        StopManager(manager);

        var store = Persistence.Instance.Apply(Sys).SnapshotStoreFor(null);
        var loaded = Ask<LoadSnapshotResult>(store, new LoadSnapshot(ClusterManager.PersistenceIdValue, SnapshotSelectionCriteria.Latest, long.MaxValue));
        var snapshot = Assert.IsType<RegistrySnapshotWithHealth>(loaded.Snapshot?.Snapshot);
        Assert.Equal(15, loaded.Snapshot!.Metadata.SequenceNr);
        Assert.Equal(7, snapshot.Registry.Registry.Vms.Length);

        var recovered = StartManager();
        var vms = Ask<VmList>(recovered, new GetVms()).Vms;
        Assert.Equal(7, vms.Count);
        Assert.Equal(VmState.Stopping, vms.Single(v => v.Name == "v0").State); // the event after the snapshot was replayed
        StopManager(recovered);
    }

    [Fact]
    public void A_second_host_with_a_name_already_up_is_rejected_and_changes_nothing()
    {
        var first = CreateTestProbe();
        var impostor = CreateTestProbe();
        var manager = StartManager();
        manager.Tell(Report("h1", SelfAddress), first);
        AwaitAssert(() => Assert.Single(Ask<HostList>(manager, new GetHosts()).Hosts));
        manager.Tell(Report("h1", "akka.tcp://tern@127.0.0.9:1"), impostor);
        Assert.Contains($"already up at {SelfAddress}", impostor.FishForMessage<HostRejected>(_ => true).Reason);
        Assert.Equal(SelfAddress, Ask<HostList>(manager, new GetHosts()).Hosts.Single().Address);
        StopManager(manager);
    }

    [Fact]
    public void A_host_that_is_no_cluster_member_at_recovery_is_down_and_its_vms_restart_elsewhere()
    {
        // The journal of a manager under which host "gone" (not a member of this cluster) ran v1.
        var writer = Sys.ActorOf(Akka.Actor.Props.Create(() => new JournalWriter()));
        Ask<Done>(writer, new IManagerEvent[]
        {
            new ManagerEvents.HostJoined("gone", "akka.tcp://tern@10.255.255.1:1", T0),
            new ManagerEvents.VmDefined(Def("v1", 128), T0),
            new ManagerEvents.VmPlaced("v1", "gone", 1, "created", T0),
        });
        StopManager(writer);

        // The new manager sees the cluster without "gone": it is down, and v1 waits for a host...
        var survivor = CreateTestProbe();
        var started = System.Diagnostics.Stopwatch.StartNew();
        var recovered = StartManager();
        AwaitAssert(() => Assert.Equal(HostState.Down, Ask<HostList>(recovered, new GetHosts()).Hosts.Single(h => h.Name == "gone").State));
        Assert.Equal(VmState.Pending, View(recovered, "v1").State);
        // ...until a survivor reports, and gets v1 as a new incarnation, once gone's VM process
        // (which may still run v1) has surely ended it: node-gone-after + 0.5 s = stable-after, 3 s.
        recovered.Tell(Report("survivor", SelfAddress), survivor);
        var run = survivor.FishForMessage<RunInstance>(_ => true, TimeSpan.FromSeconds(10));
        Assert.True(started.Elapsed >= TimeSpan.FromSeconds(2.9), $"v1 restarted {started.Elapsed.TotalSeconds:0.0} s after its host was found lost");
        Assert.Equal(("v1", 2L), (run.Definition.Name, run.Incarnation));
        Assert.Equal("survivor", View(recovered, "v1").Host);
        StopManager(recovered);
    }

    [Fact]
    public void A_lost_host_that_comes_back_before_its_vms_wait_is_over_keeps_them_and_is_told_to_run_the_same_incarnation()
    {
        const string goneAddress = "akka.tcp://tern@10.255.255.1:1";
        var writer = Sys.ActorOf(Akka.Actor.Props.Create(() => new JournalWriter()));
        Ask<Done>(writer, new IManagerEvent[]
        {
            new ManagerEvents.HostJoined("gone", goneAddress, T0),
            new ManagerEvents.VmDefined(Def("v1", 128), T0),
            new ManagerEvents.VmPlaced("v1", "gone", 1, "created", T0),
        });
        StopManager(writer);

        var survivor = CreateTestProbe();
        var recovered = StartManager();
        recovered.Tell(Report("survivor", SelfAddress), survivor);
        AwaitAssert(() => Assert.Equal(HostState.Down, Ask<HostList>(recovered, new GetHosts()).Hosts.Single(h => h.Name == "gone").State));

        // gone's node restarts within the wait and reports (with nothing running yet: its VM processes are orphans).
        var back = CreateTestProbe();
        recovered.Tell(Report("gone", goneAddress), back);
        var run = back.FishForMessage<RunInstance>(_ => true, TimeSpan.FromSeconds(10));
        Assert.Equal(("v1", 1L), (run.Definition.Name, run.Incarnation));
        recovered.Tell(new VmStarted("gone", "v1", 1, Adopted: true), back);
        // Long past the wait, v1 never went anywhere else.
        survivor.ExpectNoMsg(TimeSpan.FromSeconds(4));
        Assert.Equal(("gone", 1L), (View(recovered, "v1").Host, View(recovered, "v1").Incarnation));
        Assert.Contains(Ask<EventList>(recovered, new GetEvents(0)).Events, e => e.Text == "vm v1 re-adopted on gone: its process ran on while the node was away");
        StopManager(recovered);
    }

    /// <summary>Writes events into the manager's journal, as a manager that ran before would have.</summary>
    private sealed class JournalWriter : ReceivePersistentActor
    {
        public override string PersistenceId => ClusterManager.PersistenceIdValue;

        public JournalWriter()
        {
            Command<IManagerEvent[]>(events =>
            {
                var requester = Sender;
                PersistAll(events, e => { if (ReferenceEquals(e, events[^1])) requester.Tell(new Done("written")); });
            });
        }
    }
}

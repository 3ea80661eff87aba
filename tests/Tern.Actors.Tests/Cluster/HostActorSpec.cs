using System.Text;
using Akka.Actor;
using Akka.TestKit.Xunit2;
using Tern.Actors.Cluster;
using Tern.Actors.Cluster.Decisions;
using Tern.Actors.Cluster.Host;
using Tern.Actors.Cluster.Protocol;
using Tern.Actors.Tests.Support;
using static Tern.Actors.Cluster.NodeProtocol;
using static Tern.Actors.Cluster.Protocol.ClusterProtocol;
using static Tern.Actors.Tests.Cluster.ClusterSamples;

namespace Tern.Actors.Tests.Cluster;

/// <summary>
/// A HostActor in a one-node cluster, with a probe as its manager, running the test kernel on
/// KVM: it reports, runs each incarnation once, serves the guest's console, stops on order and
/// answers a repeated order for an ended incarnation with how it ended; with the node's TLS
/// credentials its migrations run over TLS.
/// </summary>
public sealed class HostActorSpec : TestKit
{
    public HostActorSpec() : base(ClusterTestConfig.Create(Path.Combine(Path.GetTempPath(), "unused-host.db")))
    {
        var cluster = Akka.Cluster.Cluster.Get(Sys);
        cluster.Join(cluster.SelfAddress);
        AwaitCondition(() => cluster.SelfMember.Status == Akka.Cluster.MemberStatus.Up, TimeSpan.FromSeconds(10));
    }

    private sealed class FixedProbe : IHostProbe
    {
        private ulong _ticks;
        public int Cpus => 8;
        public CpuTicks CpuTicks() => new(_ticks += 50, _ticks * 4);
        public (ulong Total, ulong Available) Memory() => (16384 * MiB, 12000 * MiB);
        public ThreadTime ThreadTimes(IEnumerable<int> threadIds) => default;
    }

    private static VmDefinition Ticks(string name, string kernel) => new(name, kernel, null, "mode=ticks tick_ms=50", 64 * MiB, 1, []);

    [KvmFact]
    public void Runs_each_incarnation_once_serves_its_console_stops_it_and_remembers_how_it_ended()
    {
        var manager = CreateTestProbe();
        var settings = HostSettings.From(Sys.Settings.Config) with { ReportInterval = TimeSpan.FromMilliseconds(200) };
        var host = Sys.ActorOf(HostActor.Props("h1", settings, manager.Ref, new FixedProbe(), _ => { }), "host");

        var report = manager.FishForMessage<HostReport>(_ => true);
        Assert.Equal(("h1", 8, 16384 * MiB - settings.ReservedMemoryBytes), (report.Host, report.Load.Cpus, report.Load.GuestCapacityBytes));

        host.Tell(new RunInstance(Ticks("v1", TestGuest.Kernel), 1), manager.Ref);
        host.Tell(new RunInstance(Ticks("v1", TestGuest.Kernel), 1), manager.Ref); // repeated: still one instance
        manager.FishForMessage<VmStarted>(s => s is { Host: "h1", Name: "v1", Incarnation: 1 }, TimeSpan.FromSeconds(60));
        var running = manager.FishForMessage<HostReport>(r => r.Vms.Count > 0 && r.Vms[0].Phase == VmRunPhase.Running);
        Assert.Equal(("v1", 1L, 64 * MiB), (running.Vms.Single().Name, running.Vms[0].Incarnation, running.Load.GuestCommittedBytes));

        AwaitAssert(() =>
        {
            var console = host.Ask<ConsoleOutput>(new ReadConsole("v1", 0), TimeSpan.FromSeconds(5)).Result;
            Assert.Contains("TICK 3\n", Encoding.ASCII.GetString(console.Data));
        }, TimeSpan.FromSeconds(30), TimeSpan.FromMilliseconds(200));
        Assert.Equal(FailureKind.Conflict, host.Ask<Failed>(new ReadConsole("nope", 0), TimeSpan.FromSeconds(5)).Result.Kind);

        host.Tell(new StopInstance("v1", 7), manager.Ref); // another incarnation: ignored
        host.Tell(new StopInstance("v1", 1), manager.Ref);
        var ended = manager.FishForMessage<VmEnded>(_ => true, TimeSpan.FromSeconds(30));
        Assert.Equal((VmEndReason.Stopped, 1L), (ended.Reason, ended.Incarnation));
        // Ended here while the manager may still route its console here: a passing refusal, so followers ask again.
        Assert.Equal(FailureKind.Conflict, host.Ask<Failed>(new ReadConsole("v1", 0), TimeSpan.FromSeconds(5)).Result.Kind);

        host.Tell(new RunInstance(Ticks("v1", TestGuest.Kernel), 1), manager.Ref);
        Assert.Equal(VmEndReason.Stopped, manager.FishForMessage<VmEnded>(_ => true).Reason);

        host.Tell(new RunInstance(Ticks("v2", "/nonexistent/kernel"), 2), manager.Ref);
        var failed = manager.FishForMessage<VmEnded>(_ => true, TimeSpan.FromSeconds(30));
        Assert.Equal(("v2", VmEndReason.BootFailed), (failed.Name, failed.Reason));
        Assert.StartsWith("boot failed: ", failed.Detail);
        Assert.Empty(manager.FishForMessage<HostReport>(_ => true).Vms);
    }

    [KvmFact]
    public void A_vm_on_a_bridge_the_host_lacks_fails_to_boot_or_arrive_naming_the_bridge_and_the_host()
    {
        var manager = CreateTestProbe();
        var settings = HostSettings.From(Sys.Settings.Config) with { ReportInterval = TimeSpan.FromMilliseconds(200) };
        var host = Sys.ActorOf(HostActor.Props("h1", settings, manager.Ref, new FixedProbe(), _ => { }), "host");
        string bridge = $"tn{Guid.NewGuid().ToString("N")[..12]}";
        var vm = Ticks("v1", TestGuest.Kernel) with { Nics = [new VmNic(bridge, "52:54:00:00:00:01")] };

        host.Tell(new RunInstance(vm, 1), manager.Ref);
        var failed = manager.FishForMessage<VmEnded>(_ => true, TimeSpan.FromSeconds(30));
        Assert.Equal((VmEndReason.BootFailed, $"boot failed: bridge {bridge} does not exist on host h1"), (failed.Reason, failed.Detail));

        host.Tell(new PrepareIncoming(vm, 2), manager.Ref);
        var refused = manager.FishForMessage<IncomingFailed>(_ => true, TimeSpan.FromSeconds(30));
        Assert.Equal($"bridge {bridge} does not exist on host h1", refused.Reason);
    }

    /// <summary>
    /// Hosts h1 ("source") and h2 ("target"): v1 incarnation 1 runs on h1, incarnation 2 listens on
    /// h2. The target reports only at start, so nothing it learns later comes from a report.
    /// </summary>
    private (IActorRef Source, IActorRef Target, VmDefinition Vm, IncomingPrepared Listening) RunningOnH1AndAwaitedOnH2(Akka.TestKit.TestProbe manager)
    {
        var settings = HostSettings.From(Sys.Settings.Config) with { ReportInterval = TimeSpan.FromMilliseconds(200) };
        var source = Sys.ActorOf(HostActor.Props("h1", settings, manager.Ref, new FixedProbe(), _ => { }), "source");
        var target = Sys.ActorOf(HostActor.Props("h2", settings with { ReportInterval = TimeSpan.FromMinutes(5) }, manager.Ref, new FixedProbe(), _ => { }), "target");
        var vm = Ticks("v1", TestGuest.Kernel);
        source.Tell(new RunInstance(vm, 1), manager.Ref);
        manager.FishForMessage<VmStarted>(s => s is { Host: "h1", Incarnation: 1 }, TimeSpan.FromSeconds(60));
        target.Tell(new PrepareIncoming(vm, 2), manager.Ref);
        return (source, target, vm, manager.FishForMessage<IncomingPrepared>(p => p.Incarnation == 2, TimeSpan.FromSeconds(60)));
    }

    [KvmFact]
    public void A_stop_order_that_arrives_mid_migration_waits_for_its_outcome()
    {
        // The manager may answer a report sent before the migration began with a stop order once
        // the commit has moved the VM: the source must still finish its switch-over.
        var manager = CreateTestProbe();
        var (source, target, vm, listening) = RunningOnH1AndAwaitedOnH2(manager);

        source.Tell(new StartMigration("v1", 1, "h2", 2, listening.Address, listening.Port, 0, 300, 60_000, OnCompletionTimeout.Abort), manager.Ref);
        source.Tell(new StopInstance("v1", 1), manager.Ref);
        manager.FishForMessage<CommitRequest>(c => c.TargetIncarnation == 2, TimeSpan.FromSeconds(60));
        manager.Reply(new CommitDecision("v1", 2, Approved: true, ""));

        var outcome = manager.FishForMessage<MigrationOutcome>(_ => true, TimeSpan.FromSeconds(60));
        Assert.Equal(("completed", false), (outcome.Report.Status, outcome.GuestStayed));
        var ended = manager.FishForMessage<VmEnded>(e => e.Host == "h1", TimeSpan.FromSeconds(30));
        Assert.Equal((VmEndReason.Stopped, "migrated away"), (ended.Reason, ended.Detail));
        AwaitAssert(() =>
        {
            var console = target.Ask<ConsoleOutput>(new ReadConsole("v1", 0), TimeSpan.FromSeconds(5)).Result;
            Assert.Contains("TICK", Encoding.ASCII.GetString(console.Data));
        }, TimeSpan.FromSeconds(30), TimeSpan.FromMilliseconds(200));

        // Straight back, before any report of h2's has noticed the arrival.
        source.Tell(new PrepareIncoming(vm, 3), manager.Ref);
        var back = manager.FishForMessage<IncomingPrepared>(p => p.Incarnation == 3, TimeSpan.FromSeconds(60));
        target.Tell(new StartMigration("v1", 2, "h1", 3, back.Address, back.Port, 0, 300, 60_000, OnCompletionTimeout.Abort), manager.Ref);
        manager.FishForMessage<CommitRequest>(c => c.TargetIncarnation == 3, TimeSpan.FromSeconds(60));
        manager.Reply(new CommitDecision("v1", 3, Approved: true, ""));
        var returned = manager.FishForMessage<MigrationOutcome>(_ => true, TimeSpan.FromSeconds(60));
        Assert.True(returned.Report.Status == "completed", returned.Report.Error);
    }

    [KvmFact]
    public void The_target_reports_an_arrival_from_its_vms_event_without_waiting_for_a_report()
    {
        // Issue 16: the target host learns of the arrival from the incoming VM's MigrationEnded
        // event; its own reports (every 5 minutes here) no longer ask the VM.
        var manager = CreateTestProbe();
        var (source, _, _, listening) = RunningOnH1AndAwaitedOnH2(manager);

        source.Tell(new StartMigration("v1", 1, "h2", 2, listening.Address, listening.Port, 0, 300, 60_000, OnCompletionTimeout.Abort), manager.Ref);
        manager.FishForMessage<CommitRequest>(c => c.TargetIncarnation == 2, TimeSpan.FromSeconds(60));
        manager.Reply(new CommitDecision("v1", 2, Approved: true, ""));

        // The source's outcome and the target's arrival race each other.
        VmStarted? arrived = null;
        MigrationOutcome? outcome = null;
        while (arrived is null || outcome is null)
        {
            var m = manager.FishForMessage(m => m is VmStarted { Host: "h2" } or MigrationOutcome, TimeSpan.FromSeconds(30));
            if (m is VmStarted s) arrived = s;
            else outcome = (MigrationOutcome)m;
        }
        Assert.Equal(("v1", 2L), (arrived.Name, arrived.Incarnation));
        Assert.Equal(("completed", false), (outcome.Report.Status, outcome.GuestStayed));
    }

    [KvmFact]
    public void Hosts_with_tls_move_a_guest_and_refuse_a_target_of_another_ca()
    {
        // Issue 15: with the node's certificate (HostSettings.Tls) every migration runs TLS; a target
        // whose certificate comes from another CA is refused and the guest stays on the source.
        string dir = Directory.CreateTempSubdirectory("tern-host-tls-").FullName;
        var manager = CreateTestProbe();
        var settings = HostSettings.From(Sys.Settings.Config) with { ReportInterval = TimeSpan.FromMilliseconds(200) };
        var ours = TestCertificates.Issue(Path.Combine(dir, "ours"), "cluster CA");
        var theirs = TestCertificates.Issue(Path.Combine(dir, "theirs"), "another CA");
        Directory.Delete(dir, recursive: true);
        var source = Sys.ActorOf(HostActor.Props("h1", settings with { Tls = ours }, manager.Ref, new FixedProbe(), _ => { }), "source");
        var stranger = Sys.ActorOf(HostActor.Props("h2", settings with { Tls = theirs }, manager.Ref, new FixedProbe(), _ => { }), "stranger");
        var target = Sys.ActorOf(HostActor.Props("h3", settings with { Tls = ours }, manager.Ref, new FixedProbe(), _ => { }), "target");
        var vm = new VmDefinition("v1", TestGuest.Kernel, null, "mode=ticks tick_ms=50", 64 * MiB, 1, []);
        source.Tell(new RunInstance(vm, 1), manager.Ref);
        manager.FishForMessage<VmStarted>(s => s is { Host: "h1", Incarnation: 1 }, TimeSpan.FromSeconds(60));

        stranger.Tell(new PrepareIncoming(vm, 2), manager.Ref);
        var strangerListens = manager.FishForMessage<IncomingPrepared>(p => p.Incarnation == 2, TimeSpan.FromSeconds(60));
        source.Tell(new StartMigration("v1", 1, "h2", 2, strangerListens.Address, strangerListens.Port, 0, 300, 60_000, OnCompletionTimeout.Abort), manager.Ref);
        var refused = manager.FishForMessage<MigrationOutcome>(_ => true, TimeSpan.FromSeconds(60));
        Assert.True(refused.GuestStayed, refused.Report.Error);
        Assert.Equal("failed", refused.Report.Status);
        Assert.Contains("the destination's certificate is not from the CA in", refused.Report.Error);

        target.Tell(new PrepareIncoming(vm, 3), manager.Ref);
        var listening = manager.FishForMessage<IncomingPrepared>(p => p.Incarnation == 3, TimeSpan.FromSeconds(60));
        source.Tell(new StartMigration("v1", 1, "h3", 3, listening.Address, listening.Port, 0, 300, 60_000, OnCompletionTimeout.Abort), manager.Ref);
        manager.FishForMessage<CommitRequest>(c => c.TargetIncarnation == 3, TimeSpan.FromSeconds(60));
        manager.Reply(new CommitDecision("v1", 3, Approved: true, ""));
        var moved = manager.FishForMessage<MigrationOutcome>(o => o.TargetIncarnation == 3, TimeSpan.FromSeconds(60));
        Assert.True(moved.Report.Status == "completed", moved.Report.Error);
        AwaitAssert(() =>
        {
            var console = target.Ask<ConsoleOutput>(new ReadConsole("v1", 0), TimeSpan.FromSeconds(5)).Result;
            Assert.Contains("TICK", Encoding.ASCII.GetString(console.Data));
        }, TimeSpan.FromSeconds(30), TimeSpan.FromMilliseconds(200));
    }

    [KvmFact]
    public void A_boot_that_finds_its_disk_locked_waits_for_the_holder_and_fails_naming_it_if_it_never_lets_go()
    {
        // A failover can restart a VM while the fenced host's instance is still letting go of its
        // disk: the image lock keeps them apart, and the restart goes on once the disk is free.
        var manager = CreateTestProbe();
        var settings = HostSettings.From(Sys.Settings.Config) with { ReportInterval = TimeSpan.FromMilliseconds(200) };
        var host = Sys.ActorOf(HostActor.Props("h1", settings, manager.Ref, new FixedProbe(), _ => { }), "host");
        string disk = Path.Combine(Path.GetTempPath(), $"locked-{Guid.NewGuid():N}.img");
        File.WriteAllBytes(disk, new byte[1 << 20]);
        try
        {
            var holder = Tern.Devices.Virtio.Block.DiskImage.Open(disk, readOnly: false, direct: false);
            holder.Lock();
            host.Tell(new RunInstance(Ticks("v1", TestGuest.Kernel) with { Disks = [new VmDisk(disk, Writable: true)] }, 1), manager.Ref);
            var waiting = manager.FishForMessage<HostReport>(r => r.Vms.Count > 0, TimeSpan.FromSeconds(10));
            Assert.Equal(VmRunPhase.Booting, waiting.Vms.Single().Phase);
            manager.FishForMessage<HostReport>(_ => true); // several boot attempts later ...
            manager.FishForMessage<HostReport>(_ => true);
            var stillWaiting = manager.FishForMessage<HostReport>(_ => true);
            Assert.Equal(VmRunPhase.Booting, stillWaiting.Vms.Single().Phase);

            holder.Dispose();
            manager.FishForMessage<VmStarted>(s => s is { Name: "v1", Incarnation: 1 }, TimeSpan.FromSeconds(30));
            AwaitAssert(() =>
            {
                var console = host.Ask<ConsoleOutput>(new ReadConsole("v1", 0), TimeSpan.FromSeconds(5)).Result;
                Assert.Contains("TICK 2\n", Encoding.ASCII.GetString(console.Data));
            }, TimeSpan.FromSeconds(30), TimeSpan.FromMilliseconds(200));

            // While v1 holds the disk, v2 on a host that waits at most a second gives up, naming the holder.
            var impatient = Sys.ActorOf(HostActor.Props("h2", settings with { ImageLockWait = TimeSpan.FromSeconds(1) }, manager.Ref, new FixedProbe(), _ => { }), "impatient");
            impatient.Tell(new RunInstance(Ticks("v2", TestGuest.Kernel) with { Disks = [new VmDisk(disk, Writable: true)] }, 1), manager.Ref);
            var failed = manager.FishForMessage<VmEnded>(e => e.Name == "v2", TimeSpan.FromSeconds(30));
            Assert.Equal(VmEndReason.BootFailed, failed.Reason);
            Assert.Contains("failed to get \"write\" lock", failed.Detail);
            Assert.Contains($"(pid {Environment.ProcessId})", failed.Detail);
        }
        finally
        {
            File.Delete(disk);
        }
    }
}

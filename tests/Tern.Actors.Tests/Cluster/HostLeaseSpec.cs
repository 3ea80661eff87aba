using Akka.Actor;
using Akka.TestKit.Xunit2;
using Tern.Actors.Cluster;
using Tern.Actors.Cluster.Host;
using Tern.Actors.Cluster.Leases;
using Tern.Actors.Cluster.Protocol;
using Tern.Actors.Tests.Support;
using static Tern.Actors.Cluster.NodeProtocol;
using static Tern.Actors.Cluster.Protocol.ClusterProtocol;
using static Tern.Actors.Tests.Cluster.ClusterSamples;

namespace Tern.Actors.Tests.Cluster;

/// <summary>
/// A HostActor fencing by lease, on a one-member cluster, with its lease store answering as the
/// test says (the PostgreSQL store itself is exercised by the netns tests): it runs VMs only while
/// it holds its lease, and ends them all when the lease lapses or turns out revoked.
/// </summary>
public sealed class HostLeaseSpec : TestKit
{
    private static readonly TimeSpan Ttl = TimeSpan.FromMilliseconds(1500);
    private static readonly TimeSpan Margin = TimeSpan.FromMilliseconds(500);
    private readonly ScriptedLeases _leases = new();

    public HostLeaseSpec() : base(ClusterTestConfig.Create(Path.Combine(Path.GetTempPath(), "unused-lease.db")))
    {
        var cluster = Akka.Cluster.Cluster.Get(Sys);
        cluster.Join(cluster.SelfAddress);
        AwaitCondition(() => cluster.State.Members.Any(m => m.Status == Akka.Cluster.MemberStatus.Up), TimeSpan.FromSeconds(20));
    }

    /// <summary>A lease store whose next renewals succeed, are refused (revoked) or fail (database unreachable).</summary>
    private sealed class ScriptedLeases : IHostLeases
    {
        public volatile string Answer = "fail";
        public long LastSuccessSentAt;

        public Task<bool> RenewAsync(string host, TimeSpan ttl, CancellationToken cancel)
        {
            long sentAt = Environment.TickCount64;
            return Answer switch
            {
                "held" => Task.FromResult(Interlocked.Exchange(ref LastSuccessSentAt, sentAt) >= 0),
                "revoked" => Task.FromResult(false),
                _ => Task.FromException<bool>(new TimeoutException("the database did not answer")),
            };
        }

        public Task ReleaseAsync(string host, CancellationToken cancel) => Task.CompletedTask;

        public Task<TimeSpan> RevokeAsync(string host, CancellationToken cancel) => Task.FromResult(TimeSpan.Zero);
    }

    private (IActorRef Host, Akka.TestKit.TestProbe Manager) StartHost()
    {
        var manager = CreateTestProbe();
        var settings = HostSettings.From(Sys.Settings.Config) with
        {
            Lease = new HostLeaseSettings(_leases, TimeSpan.FromMilliseconds(200), Ttl, Margin),
        };
        var host = Sys.ActorOf(HostActor.Props("h1", settings, manager.Ref, new ProcHostProbe(), _ => { }), "host");
        return (host, manager);
    }

    private static RunInstance Run(string name, long incarnation) =>
        new(new VmDefinition(name, TestGuest.Kernel, null, "mode=ticks", 64 * MiB, 1, []), incarnation);

    [KvmFact]
    public void A_host_without_its_lease_starts_no_vm_and_starts_it_once_it_holds_one()
    {
        var (host, manager) = StartHost();
        host.Tell(Run("v1", 1), manager.Ref);
        var meanwhile = manager.ReceiveWhile<object>(TimeSpan.FromSeconds(1.5), m => m);
        Assert.DoesNotContain(meanwhile, m => m is VmStarted);

        _leases.Answer = "held";
        RunUntilStarted(host, manager, Run("v1", 1));
    }

    /// <summary>Orders the VM every half second, as the manager repeats its orders with every report, until it has started.</summary>
    private static void RunUntilStarted(IActorRef host, Akka.TestKit.TestProbe manager, RunInstance run)
    {
        var deadline = DateTime.UtcNow + TimeSpan.FromSeconds(60);
        while (true)
        {
            host.Tell(run, manager.Ref);
            if (manager.ReceiveWhile<object>(TimeSpan.FromMilliseconds(500), m => m).Any(m => m is VmStarted)) return;
            if (DateTime.UtcNow > deadline) throw new TimeoutException($"{run.Definition.Name} did not start within 60 s");
        }
    }

    [KvmFact]
    public void A_lease_no_longer_renewed_ends_every_vm_by_its_validity()
    {
        _leases.Answer = "held";
        var (host, manager) = StartHost();
        AwaitCondition(() => Interlocked.Read(ref _leases.LastSuccessSentAt) > 0, TimeSpan.FromSeconds(10));
        host.Tell(Run("v1", 1), manager.Ref);
        manager.FishForMessage<VmStarted>(_ => true, TimeSpan.FromSeconds(60));

        _leases.Answer = "fail";
        Thread.Sleep(50); // a renewal that read "held" just before has recorded itself by now
        long lastRenewal = Interlocked.Read(ref _leases.LastSuccessSentAt);
        var ended = manager.FishForMessage<VmEnded>(_ => true, TimeSpan.FromSeconds(10));
        long after = Environment.TickCount64 - lastRenewal;
        Assert.Equal(VmEndReason.Fenced, ended.Reason);
        Assert.Contains("not renewed in time", ended.Detail);
        // Ended (the guest quit and the host saw it) within the validity plus the margin left for quitting.
        Assert.True(after < Ttl.TotalMilliseconds, $"the VM ended {after} ms after the last renewal was sent");
        Assert.True(after >= (Ttl - Margin).TotalMilliseconds - 50, $"the VM ended {after} ms after the last renewal, before the lease's validity ran out");
    }

    [KvmFact]
    public void A_revoked_lease_ends_every_vm_at_once()
    {
        _leases.Answer = "held";
        var (host, manager) = StartHost();
        RunUntilStarted(host, manager, Run("v1", 1));

        _leases.Answer = "revoked";
        var ended = manager.FishForMessage<VmEnded>(_ => true, TimeSpan.FromSeconds(10));
        Assert.Equal(VmEndReason.Fenced, ended.Reason);
        Assert.Contains("its lease was revoked", ended.Detail);
    }
}

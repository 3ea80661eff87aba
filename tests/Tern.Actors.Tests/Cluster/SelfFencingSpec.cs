using System.Net;
using System.Net.Sockets;
using Akka.Actor;
using Akka.Configuration;
using Akka.TestKit.Xunit2;
using Tern.Actors.Cluster;
using Tern.Actors.Cluster.Host;
using Tern.Actors.Cluster.Protocol;
using Tern.Actors.Tests.Support;
using static Tern.Actors.Cluster.NodeProtocol;
using static Tern.Actors.Cluster.Protocol.ClusterProtocol;
using static Tern.Actors.Tests.Cluster.ClusterSamples;

namespace Tern.Actors.Tests.Cluster;

/// <summary>
/// Two cluster members in one process; the one with the lower address dies without leaving. The
/// survivor is then exactly half of the cluster without the lowest address, the side that
/// keep-majority downs, so its HostActor must end its VMs on its own, well before the resolver
/// would act (here the resolver is slowed down so the test system outlives the decision).
/// </summary>
public sealed class SelfFencingSpec : TestKit
{
    public SelfFencingSpec() : base(ConfigurationFactory.ParseString("akka.cluster.split-brain-resolver.stable-after = 60s")
        .WithFallback(ClusterTestConfig.Create(Path.Combine(Path.GetTempPath(), "unused-fencing.db"))))
    {
    }

    /// <summary>A free loopback port below <paramref name="limit"/>, so the other member sorts first.</summary>
    private static int FreePortBelow(int limit)
    {
        for (int port = limit - 1; port > 1024; port -= 7)
        {
            try
            {
                var listener = new TcpListener(IPAddress.Loopback, port) { ExclusiveAddressUse = true };
                listener.Start();
                listener.Stop();
                return port;
            }
            catch (SocketException) { }
        }
        throw new InvalidOperationException($"no free port below {limit}");
    }

    [KvmFact]
    public void A_member_left_as_the_losing_half_ends_its_vms_before_the_resolver_acts()
    {
        var self = Akka.Cluster.Cluster.Get(Sys);
        int lowerPort = FreePortBelow(self.SelfAddress.Port!.Value);
        var other = ActorSystem.Create(Sys.Name, ConfigurationFactory.ParseString($"""
            akka.remote.dot-netty.tcp.port = {lowerPort}
            # Die without leaving, as a killed host does.
            akka.coordinated-shutdown.run-by-actor-system-terminate = off
            akka.coordinated-shutdown.terminate-actor-system = off
            """).WithFallback(Sys.Settings.Config));
        var otherCluster = Akka.Cluster.Cluster.Get(other);
        otherCluster.Join(otherCluster.SelfAddress);
        self.Join(otherCluster.SelfAddress);
        AwaitCondition(() => self.State.Members.Count(m => m.Status == Akka.Cluster.MemberStatus.Up) == 2, TimeSpan.FromSeconds(20));

        var manager = CreateTestProbe();
        var host = Sys.ActorOf(HostActor.Props("h2", HostSettings.From(Sys.Settings.Config), manager.Ref, new ProcHostProbe(), _ => { }), "host");
        host.Tell(new RunInstance(new VmDefinition("v1", TestGuest.Kernel, null, "mode=ticks", 64 * MiB, 1, []), 1), manager.Ref);
        manager.FishForMessage<VmStarted>(_ => true, TimeSpan.FromSeconds(60));

        var lostAt = DateTime.UtcNow;
        other.Terminate().Wait(TimeSpan.FromSeconds(20));
        var ended = manager.FishForMessage<VmEnded>(_ => true, TimeSpan.FromSeconds(20));
        Assert.Equal(VmEndReason.Fenced, ended.Reason);
        Assert.Contains("lost contact with the majority", ended.Detail);
        // Well inside the time the resolver's default stable-after (3 s) would give the majority.
        Assert.True(DateTime.UtcNow - lostAt < TimeSpan.FromSeconds(10), $"fenced after {DateTime.UtcNow - lostAt}");

        // While fenced it refuses new instances.
        host.Tell(new RunInstance(new VmDefinition("v2", TestGuest.Kernel, null, "mode=ticks", 64 * MiB, 1, []), 2), manager.Ref);
        manager.FishForMessage<HostReport>(r => r.Vms.Count == 0);
        // Reports may still come; no VmStarted among them.
        var later = manager.ReceiveWhile<object>(TimeSpan.FromSeconds(1), m => m);
        Assert.DoesNotContain(later, m => m is VmStarted);
    }
}

using System.Collections.Concurrent;
using Akka.Actor;
using Akka.Cluster;

namespace Tern.Actors.Cluster;

/// <summary>
/// When this node first saw each member address unreachable, downed or removed, kept from the
/// moment the node asks for the clock (at its start) rather than from when a manager singleton
/// happens to start on it: a manager taking over after another host died must know how long ago
/// that host was lost (<see cref="Host.OrphanVmWindow"/>). An address not seen lost yet answers
/// "now", which is never earlier than the loss itself and so always safe to count from.
/// </summary>
public sealed class MemberLossClock : IExtension
{
    private readonly ConcurrentDictionary<Address, DateTime> _lostAt = new();

    public MemberLossClock(ExtendedActorSystem system) =>
        system.SystemActorOf(Props.Create(() => new Watcher(this)), "member-loss-clock");

    public static MemberLossClock Get(ActorSystem system) => system.WithExtension<MemberLossClock, MemberLossClockProvider>();

    /// <summary>When this node first saw <paramref name="address"/> lost, or now if it has not (yet).</summary>
    public DateTime LostSince(Address address) => _lostAt.TryGetValue(address, out var at) ? at : DateTime.UtcNow;

    private sealed class Watcher : ReceiveActor
    {
        public Watcher(MemberLossClock clock)
        {
            Receive<ClusterEvent.UnreachableMember>(u => clock._lostAt.TryAdd(u.Member.Address, DateTime.UtcNow));
            Receive<ClusterEvent.MemberDowned>(d => clock._lostAt.TryAdd(d.Member.Address, DateTime.UtcNow));
            Receive<ClusterEvent.MemberRemoved>(r => clock._lostAt.TryAdd(r.Member.Address, DateTime.UtcNow));
            // Reachable again, or a new incarnation at the same address is up: nothing is lost there now.
            Receive<ClusterEvent.ReachableMember>(r => clock._lostAt.TryRemove(r.Member.Address, out _));
            Receive<ClusterEvent.MemberUp>(u => clock._lostAt.TryRemove(u.Member.Address, out _));
            Receive<ClusterEvent.CurrentClusterState>(s =>
            {
                foreach (var m in s.Unreachable) clock._lostAt.TryAdd(m.Address, DateTime.UtcNow);
            });
        }

        protected override void PreStart() =>
            Akka.Cluster.Cluster.Get(Context.System).Subscribe(Self, ClusterEvent.SubscriptionInitialStateMode.InitialStateAsSnapshot,
                typeof(ClusterEvent.IReachabilityEvent), typeof(ClusterEvent.MemberDowned), typeof(ClusterEvent.MemberRemoved), typeof(ClusterEvent.MemberUp));

        protected override void PostStop() => Akka.Cluster.Cluster.Get(Context.System).Unsubscribe(Self);
    }
}

public sealed class MemberLossClockProvider : ExtensionIdProvider<MemberLossClock>
{
    public override MemberLossClock CreateExtension(ExtendedActorSystem system) => new(system);
}

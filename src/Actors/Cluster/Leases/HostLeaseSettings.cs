using Akka.Configuration;

namespace Tern.Actors.Cluster.Leases;

/// <summary>
/// Fencing by lease (<c>tern.cluster.fencing = lease</c>, the default with a PostgreSQL journal):
/// a host runs VMs only while it holds its lease in the database, and the manager restarts a lost
/// host's VMs elsewhere only once that lease is revoked and has expired. The timing argument that
/// keeps a VM from running on two hosts, whatever the network or the database does:
///
/// 1. Clocks. Every expiry is the database's <c>now() + Ttl</c> at the moment the statement runs;
///    hosts and manager measure only durations, on their own monotonic clocks. So their times of
///    day may differ freely; their rates may differ by a drift far below <see cref="StopMargin"/>.
/// 2. Holder. The host notes its monotonic time s before it sends a renewal. The database runs it
///    at some later moment d, so the lease then expires at d + Ttl, no sooner than s + Ttl. Once it
///    learns the renewal succeeded, the host may run VMs until s + Ttl - StopMargin (<see
///    cref="Validity"/> after s) and tells each VM process that deadline; a VM process quits its
///    guest when the deadline passes without a later one (even if its node has died or is
///    starved), and the node ends its VMs then too. The margin covers the quitting and the drift.
///    A renewal whose answer comes after the deadline extends nothing: the node ends its VMs first.
/// 3. Taker. The manager restarts a lost host's VMs only after it has revoked the lease (from then
///    on no renewal succeeds until it expires; the database's row lock orders a renewal and a
///    revocation) and waited the remaining time the revocation reported, on its own clock. By then
///    the lease has expired, after every deadline the host gave its VM processes: they have quit.
/// 4. A host that failed to renew for Validity (the database unreachable, the host cut off, its
///    node too starved to renew) has ended its VMs, whether or not anyone took the lease. A lease
///    expired and retaken later is a new lease: it keeps nothing that ran under the old one.
///
/// Hence the cost: the database must stay reachable. A host that cannot reach it for Validity
/// stops its VMs (the manager restarts them once a host holds a lease again); a killed host's VMs
/// restart no sooner than Ttl after its last renewal, which with the defaults (Ttl 5 s, renewed
/// every second) is before the Split Brain Resolver has downed it anyway.
/// </summary>
public sealed record HostLeaseSettings(IHostLeases Leases, TimeSpan RenewEvery, TimeSpan Ttl, TimeSpan StopMargin)
{
    /// <summary>How long after a renewal was sent its holder may run VMs on it.</summary>
    public TimeSpan Validity => Ttl - StopMargin;

    private static readonly TimeSpan Shortest = TimeSpan.FromMilliseconds(100);

    /// <summary>Reads <c>tern.cluster.lease</c>; throws <see cref="ConfigurationException"/> naming a bad value.</summary>
    public static HostLeaseSettings From(Config config, IHostLeases leases)
    {
        var c = config.GetConfig("tern.cluster.lease") ?? throw new ConfigurationException("the configuration has no tern.cluster.lease section");
        var renew = AtLeast(c.GetTimeSpan("renew-every"), "renew-every");
        var margin = AtLeast(c.GetTimeSpan("stop-margin"), "stop-margin");
        var ttl = c.GetTimeSpan("ttl");
        // One renewal may be lost (or slow) without the host stopping its VMs.
        if (ttl < renew + renew + margin)
            throw new ConfigurationException($"tern.cluster.lease.ttl must be at least twice renew-every plus stop-margin ({(renew + renew + margin).TotalMilliseconds:0} ms), not {ttl.TotalMilliseconds:0} ms");
        return new HostLeaseSettings(leases, renew, ttl, margin);
    }

    private static TimeSpan AtLeast(TimeSpan value, string key) => value >= Shortest ? value
        : throw new ConfigurationException($"tern.cluster.lease.{key} must be at least {Shortest.TotalMilliseconds:0} ms, not {value.TotalMilliseconds:0} ms");
}

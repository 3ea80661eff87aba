using Akka.Configuration;

namespace Tern.Actors.Cluster.Host;

/// <summary>
/// How long a `tern vm` process keeps its guest running once its node has gone (killed, crashed,
/// restarting), and so how long the manager must wait before it restarts a lost host's VMs
/// elsewhere. The timing argument, which keeps a VM from ever running twice:
///
/// A VM process starts counting when its channel to the node closes, which the kernel does the
/// moment the node dies (t0); at t0 + <see cref="NodeGoneAfter"/> it quits its guest, which takes
/// far less than <see cref="QuitGrace"/>. The manager learns of the loss at some time seen ≥ t0
/// (a member cannot be seen lost before it is) and restarts the host's VMs no earlier than
/// seen + <see cref="HostLossWait"/> = seen + NodeGoneAfter + QuitGrace, after the last guest has
/// ended. A node that is alive but cut off ends its VMs itself (fence-after) and tells its VM
/// processes to quit by then should it die meanwhile (<c>FenceCountdown</c>). With fencing by
/// lease the manager also waits for the lost host's lease to be revoked and expire
/// (<see cref="Leases.HostLeaseSettings"/>), and a VM process quits at its lease deadline too.
///
/// By default ("auto") NodeGoneAfter is the Split Brain Resolver's stable-after less QuitGrace,
/// so HostLossWait equals stable-after: a lost host is downed no sooner than stable-after after
/// it is seen unreachable, and the wait then adds nothing to a failover. A node restarted within
/// NodeGoneAfter finds its VM processes still running and re-adopts them.
/// </summary>
public static class OrphanVmWindow
{
    public static readonly TimeSpan QuitGrace = TimeSpan.FromMilliseconds(500);
    private static readonly TimeSpan Shortest = TimeSpan.FromMilliseconds(100);

    /// <summary><c>tern.host.node-gone-after</c>: "auto" or a duration of at least 100 ms.</summary>
    public static TimeSpan NodeGoneAfter(Config config)
    {
        string value = config.GetString("tern.host.node-gone-after", "auto");
        var window = value == "auto"
            ? config.GetTimeSpan("akka.cluster.split-brain-resolver.stable-after", TimeSpan.FromSeconds(20)) - QuitGrace
            : config.GetTimeSpan("tern.host.node-gone-after");
        if (window < Shortest)
            throw new ConfigurationException(value == "auto"
                ? $"tern.host.node-gone-after = auto needs akka.cluster.split-brain-resolver.stable-after of at least {(Shortest + QuitGrace).TotalMilliseconds:0} ms"
                : $"tern.host.node-gone-after must be at least {Shortest.TotalMilliseconds:0} ms, not {window.TotalMilliseconds:0} ms");
        return window;
    }

    /// <summary>How long after a host is seen lost the last of its VM processes has surely ended its guest.</summary>
    public static TimeSpan HostLossWait(Config config) => NodeGoneAfter(config) + QuitGrace;
}

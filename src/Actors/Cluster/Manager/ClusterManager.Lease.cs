using Akka.Actor;
using Akka.Event;

namespace Tern.Actors.Cluster.Manager;

/// <summary>
/// Fencing by lease (<see cref="Leases.HostLeaseSettings"/> has the timing argument): once a lost
/// host's hold has run out, the manager revokes its lease and lets its VMs restart elsewhere only
/// after the time the revocation reported has passed, by which the host's VM processes have quit.
/// A revocation that fails (the database unreachable) is tried again at the next reconcile; the
/// VMs wait, since nothing else proves the lost host stopped them.
/// </summary>
public sealed partial class ClusterManager
{
    private static readonly TimeSpan RevokeTimeout = TimeSpan.FromSeconds(5);

    /// <summary>Lost hosts whose lease is being revoked (null) or expires at the time given.</summary>
    private readonly Dictionary<string, DateTime?> _leaseExpiry = new(StringComparer.Ordinal);

    private sealed record LeaseRevoked(string Host, TimeSpan Left);
    private sealed record LeaseRevokeFailed(string Host, string Error);

    private void LeaseCommands()
    {
        Command<LeaseRevoked>(OnLeaseRevoked);
        Command<LeaseRevokeFailed>(f =>
        {
            if (!_leaseExpiry.Remove(f.Host)) return;
            _log.Warning("revoking the lease of lost host {0} failed: {1}", f.Host, f.Error);
            _events.Add(DateTime.UtcNow, $"host {f.Host}'s lease could not be revoked ({f.Error}): its VMs wait");
        });
    }

    /// <summary>
    /// Whether lost host <paramref name="host"/> may still run VMs under its lease; the first call
    /// revokes it. Always false without fencing by lease.
    /// </summary>
    private bool LeaseMayHold(string host, DateTime now)
    {
        if (_settings.Leases is not { } leases) return false;
        if (_leaseExpiry.TryGetValue(host, out var expiry))
        {
            if (expiry is not { } at || at > now) return true;
            _leaseExpiry.Remove(host);
            return false;
        }
        _leaseExpiry[host] = null;
        var timeout = new CancellationTokenSource(RevokeTimeout);
        leases.RevokeAsync(host, timeout.Token).ContinueWith(t =>
        {
            timeout.Dispose();
            return t.IsCompletedSuccessfully ? (object)new LeaseRevoked(host, t.Result)
                : new LeaseRevokeFailed(host, t.Exception?.GetBaseException().Message ?? $"no answer within {RevokeTimeout.TotalSeconds:0} s");
        }).PipeTo(Self);
        return true;
    }

    private void OnLeaseRevoked(LeaseRevoked revoked)
    {
        if (!_leaseExpiry.ContainsKey(revoked.Host)) return; // the host came back meanwhile
        var now = DateTime.UtcNow;
        // Counted from the answer, which came after the database measured what was left.
        _leaseExpiry[revoked.Host] = now + revoked.Left;
        _events.Add(now, revoked.Left > TimeSpan.Zero
            ? $"host {revoked.Host}'s lease revoked: its VMs restart elsewhere once it has expired, in {revoked.Left.TotalSeconds:0.0} s"
            : $"host {revoked.Host}'s lease revoked (it had expired): its VMs restart elsewhere");
        Timers.StartSingleTimer($"lease-{revoked.Host}", Reconcile.Instance, revoked.Left);
    }

    /// <summary>A lost host that reports again keeps its lease: a later loss revokes it afresh.</summary>
    private void ForgetLeaseRevocation(string host) => _leaseExpiry.Remove(host);
}

namespace Tern.Actors.Cluster.Leases;

/// <summary>
/// Each host's lease, kept in the cluster's database (<see cref="HostLeaseSettings"/> has the
/// timing argument). Every expiry is set by the database's clock; callers measure only durations.
/// </summary>
public interface IHostLeases
{
    /// <summary>
    /// Extends <paramref name="host"/>'s lease to the database's now plus <paramref name="ttl"/>,
    /// taking it if it is free or has expired. False when it is revoked and has not expired yet;
    /// throws when the database cannot be reached or did not answer in time.
    /// </summary>
    Task<bool> RenewAsync(string host, TimeSpan ttl, CancellationToken cancel);

    /// <summary>Ends <paramref name="host"/>'s lease now: its holder runs no VM any more.</summary>
    Task ReleaseAsync(string host, CancellationToken cancel);

    /// <summary>
    /// Revokes <paramref name="host"/>'s lease so that no renewal succeeds until it has expired, and
    /// answers how long until then by the database's clock (zero if it has, or there is none).
    /// </summary>
    Task<TimeSpan> RevokeAsync(string host, CancellationToken cancel);
}

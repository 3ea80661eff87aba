using Tern.Actors.Cluster.Leases;

namespace Tern.Host.Node.Leases;

/// <summary>Each host's lease as the row <c>host/NAME</c> of <see cref="PostgresLeaseTable"/>, owned by the host's name (a node restarted under it renews the same lease).</summary>
public sealed class PostgresHostLeases(PostgresLeaseTable table) : IHostLeases
{
    private static string Row(string host) => $"host/{host}";

    public Task<bool> RenewAsync(string host, TimeSpan ttl, CancellationToken cancel) => table.TakeAsync(Row(host), host, ttl, cancel);

    public Task ReleaseAsync(string host, CancellationToken cancel) => table.ReleaseAsync(Row(host), host, cancel);

    public Task<TimeSpan> RevokeAsync(string host, CancellationToken cancel) => table.RevokeAsync(Row(host), cancel);
}

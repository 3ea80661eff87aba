using System.Diagnostics;
using Akka.Configuration;
using Akka.Coordination;
using Tern.Host.Node.Leases;

namespace Tern.EndToEnd.Tests.Cluster;

/// <summary>
/// The Split Brain Resolver's and the manager singleton's lease on a real PostgreSQL: a lease whose
/// holder renews it is refused as soon as a renewal shows the holder alive, one it released is
/// taken at once (a graceful singleton hand-over), and one whose holder died is taken once it has
/// expired.
/// </summary>
public sealed class PostgresClusterLeaseTests
{
    private static readonly TimeSpan Ttl = TimeSpan.FromSeconds(3);

    private static PostgresClusterLease Lease(PostgresServer postgres, string owner) => new(new LeaseSettings("test-lease", owner,
            new TimeoutSettings(TimeSpan.FromMilliseconds(500), Ttl, TimeSpan.FromSeconds(2)),
            ConfigurationFactory.ParseString($"connection-string = {System.Text.Json.JsonSerializer.Serialize(postgres.ConnectionString)}")),
        null!);

    [PostgresFact]
    public async Task A_renewed_lease_is_refused_early_a_released_one_taken_at_once_and_a_dead_holder_s_once_expired()
    {
        using var postgres = new PostgresServer();
        using var a = Lease(postgres, "a");
        using var b = Lease(postgres, "b");
        using var c = Lease(postgres, "c");
        Assert.True(await a.Acquire());

        var watch = Stopwatch.StartNew();
        Assert.False(await b.Acquire());
        // a renewed it (every 500 ms) while b watched: b gave up then, not after the 3 s ttl.
        Assert.True(watch.Elapsed < Ttl - TimeSpan.FromSeconds(0.5), $"refused after {watch.Elapsed.TotalSeconds:0.0} s");
        Assert.True(a.CheckLease());

        await a.Release();
        Assert.True(await b.Acquire());
        Assert.True(b.CheckLease());

        // b dies holding it: its renewals stop, nothing releases it; c takes it once it has expired.
        b.Dispose();
        watch.Restart();
        Assert.True(await c.Acquire());
        Assert.True(watch.Elapsed > Ttl - TimeSpan.FromSeconds(1), $"taken after {watch.Elapsed.TotalSeconds:0.0} s");
        Assert.True(c.CheckLease());
    }
}

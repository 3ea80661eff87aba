using Akka.Actor;
using Akka.Coordination;

namespace Tern.Host.Node.Leases;

/// <summary>
/// An Akka.Coordination lease as a row of <see cref="PostgresLeaseTable"/>, for the cluster's two
/// decisions that must have one owner: the Split Brain Resolver's (lease-majority: after a partition,
/// the side that takes it downs the other side, and the side that cannot downs itself, so that with
/// two hosts the survivor of either one's death keeps the cluster) and the manager singleton's (a
/// node runs the manager only while it holds it, so a new oldest node may start the manager as
/// soon as it can take it, without waiting for a removal margin). Settings come from the HOCON
/// section tern.cluster.lease.coordination: connection-string, heartbeat-timeout (the row's ttl),
/// heartbeat-interval (how often a holder renews it) and lease-operation-timeout. A holder that
/// fails to renew it before its own validity (heartbeat-timeout after the last renewal was sent)
/// has passed counts it lost and says so through the callback its user gave.
/// </summary>
public sealed class PostgresClusterLease : Lease, IDisposable
{
    /// <summary>Past the expiry before trying again: the database's clock and this one's need not tick together.</summary>
    private static readonly TimeSpan SettleTime = TimeSpan.FromMilliseconds(200);

    private readonly PostgresLeaseTable _table;
    private readonly TimeSpan _ttl;
    private readonly TimeSpan _every;
    private readonly TimeSpan _operationTimeout;
    private readonly object _gate = new();
    private long _validUntil;
    private bool _held;
    private CancellationTokenSource? _heartbeat;

    public PostgresClusterLease(LeaseSettings settings, ExtendedActorSystem system) : base(settings)
    {
        string connection = settings.LeaseConfig.GetString("connection-string", "");
        if (connection.Length == 0) throw new ArgumentException($"lease {settings.LeaseName} needs a connection-string");
        _ttl = settings.TimeoutSettings.HeartbeatTimeout;
        _every = settings.TimeoutSettings.HeartbeatInterval;
        _operationTimeout = settings.TimeoutSettings.OperationTimeout;
        _table = new PostgresLeaseTable(connection, _operationTimeout);
        _ = WarmUpAsync();
    }

    /// <summary>
    /// Reads the lease once at creation (node start), so that the first real attempt, which the
    /// resolver or a new manager waits for, does not pay for the data source's first connection
    /// and type loading: half a second of a failover, measured. A failure here changes nothing;
    /// that attempt connects afresh.
    /// </summary>
    private async Task WarmUpAsync()
    {
        try
        {
            await ObserveAsync();
        }
        catch (Exception)
        {
            // Not reachable now: the real attempt reports it.
        }
    }

    public override Task<bool> Acquire() => Acquire(_ => { });

    /// <summary>
    /// Takes the lease; if another owner holds it, waits until it would expire and takes it then
    /// only if it is exactly as it was: a holder that is alive renews it (every
    /// heartbeat-interval) or releases it meanwhile, and keeps it from this side; one that died
    /// does neither. Without the wait, a host that died soon after a partition's
    /// decision (the resolver keeps the lease for release-after) would take its survivor down with
    /// it; without the check, a loser slow to try could take the lease its winner just handed back.
    /// </summary>
    public override async Task<bool> Acquire(Action<Exception> leaseLostCallback)
    {
        if (!await TakeAsync() && !await TakeFromTheDeadAsync()) return false;
        lock (_gate)
        {
            _heartbeat?.Cancel();
            _heartbeat = new CancellationTokenSource();
            _ = KeepAsync(leaseLostCallback, _heartbeat.Token);
        }
        return true;
    }

    public override async Task<bool> Release()
    {
        lock (_gate)
        {
            _heartbeat?.Cancel();
            _heartbeat = null;
            _held = false;
        }
        using var timeout = new CancellationTokenSource(_operationTimeout);
        await _table.ReleaseAsync(Settings.LeaseName, Settings.OwnerName, timeout.Token);
        return true;
    }

    public override bool CheckLease()
    {
        lock (_gate) return _held && Environment.TickCount64 < _validUntil;
    }

    /// <summary>
    /// Watches a held lease until it would expire, every heartbeat-interval: a change (renewed or
    /// released) shows its holder alive and ends the wait with false at once, so the resolver's
    /// losing side downs itself without waiting out the expiry, and the singleton tries again
    /// after its lease-retry-interval, when it takes a lease released by a graceful hand-over.
    /// </summary>
    private async Task<bool> TakeFromTheDeadAsync()
    {
        var seen = await ObserveAsync();
        if (seen is null || seen.Left > _ttl) return false;
        var expired = Environment.TickCount64 + (long)(seen.Left + SettleTime).TotalMilliseconds;
        for (long wait; (wait = expired - Environment.TickCount64) > 0;)
        {
            await Task.Delay(TimeSpan.FromMilliseconds(Math.Min(wait, _every.TotalMilliseconds)));
            if (await ObserveAsync() is not { } now || now.Owner != seen.Owner || now.ExpiresAt != seen.ExpiresAt) return false;
        }
        return await TakeAsync(seen);
    }

    private async Task<LeaseRow?> ObserveAsync()
    {
        using var timeout = new CancellationTokenSource(_operationTimeout);
        return await _table.ObserveAsync(Settings.LeaseName, timeout.Token);
    }

    /// <summary>One attempt (of a lease as <paramref name="seen"/>, if given); the validity counts from before the statement was sent.</summary>
    private async Task<bool> TakeAsync(LeaseRow? seen = null)
    {
        long sentAt = Environment.TickCount64;
        using var timeout = new CancellationTokenSource(_operationTimeout);
        bool taken = seen is null
            ? await _table.TakeAsync(Settings.LeaseName, Settings.OwnerName, _ttl, timeout.Token)
            : await _table.TakeUntouchedAsync(Settings.LeaseName, Settings.OwnerName, _ttl, seen, timeout.Token);
        lock (_gate)
        {
            _held = taken;
            if (taken) _validUntil = sentAt + (long)_ttl.TotalMilliseconds;
        }
        return taken;
    }

    private async Task KeepAsync(Action<Exception> lost, CancellationToken cancel)
    {
        try
        {
            while (true)
            {
                await Task.Delay(_every, cancel);
                Exception? problem = null;
                try
                {
                    if (await TakeAsync()) continue;
                    problem = new LeaseException($"lease {Settings.LeaseName} was taken by another owner");
                }
                catch (Exception e) when (e is not OperationCanceledException || !cancel.IsCancellationRequested)
                {
                    if (CheckLease()) continue; // still valid: the next heartbeat may get through
                    problem = e;
                }
                lock (_gate) _held = false;
                lost(problem);
                return;
            }
        }
        catch (OperationCanceledException) when (cancel.IsCancellationRequested)
        {
            // Released.
        }
    }

    public void Dispose()
    {
        lock (_gate) _heartbeat?.Cancel();
        _table.DisposeAsync().AsTask().Wait();
    }
}

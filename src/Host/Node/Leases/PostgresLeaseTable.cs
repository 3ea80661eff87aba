using Npgsql;

namespace Tern.Host.Node.Leases;

/// <summary>
/// Leases in the cluster's PostgreSQL database: one row per lease in <c>tern_leases</c> (made on
/// first use) with its name, owner, expiry and a revoked flag. Every time is the database's
/// (<c>now()</c>, when the statement's transaction began: after the caller sent it, and before any
/// row lock it waited for, so an expiry is never sooner than the caller's send time plus the ttl
/// and a remaining time never shorter than the truth).
///
/// - Take: inserts the row, or updates it when it has expired or belongs to the same owner and is
///   not revoked; sets owner, expiry = now() + ttl and clears the flag. One row changed: held.
/// - Release: the owner's row expires now.
/// - Revoke: sets the flag, so that no Take succeeds until the row has expired; answers how long
///   until then (zero for an expired row or none). Row locks order a Take and a Revoke.
/// - Observe, then TakeUntouched: takes a row only if it has expired with the owner and expiry
///   observed before, i.e. its holder neither renewed nor released it meanwhile (it died).
/// </summary>
public sealed class PostgresLeaseTable : IAsyncDisposable
{
    private const string CreateSql = """
        CREATE TABLE IF NOT EXISTS tern_leases (
            name text PRIMARY KEY,
            owner text NOT NULL,
            expires_at timestamptz NOT NULL,
            revoked boolean NOT NULL DEFAULT false)
        """;

    private const string TakeSql = """
        INSERT INTO tern_leases AS l (name, owner, expires_at, revoked)
        VALUES (@name, @owner, now() + @ttl_ms * interval '1 millisecond', false)
        ON CONFLICT (name) DO UPDATE SET owner = EXCLUDED.owner, expires_at = EXCLUDED.expires_at, revoked = false
        WHERE (l.owner = EXCLUDED.owner AND NOT l.revoked) OR l.expires_at <= now()
        """;

    private const string ReleaseSql = "UPDATE tern_leases SET expires_at = LEAST(expires_at, now()) WHERE name = @name AND owner = @owner";

    private const string RevokeSql = """
        UPDATE tern_leases SET revoked = true WHERE name = @name
        RETURNING GREATEST(EXTRACT(EPOCH FROM (expires_at - now())), 0)::float8
        """;

    private const string ObserveSql = "SELECT owner, expires_at, GREATEST(EXTRACT(EPOCH FROM (expires_at - now())), 0)::float8 FROM tern_leases WHERE name = @name";

    private const string TakeUntouchedSql = """
        UPDATE tern_leases SET owner = @owner, expires_at = now() + @ttl_ms * interval '1 millisecond', revoked = false
        WHERE name = @name AND owner = @seen_owner AND expires_at = @seen_expiry AND expires_at <= now()
        """;

    private readonly NpgsqlDataSource _source;
    private readonly TimeSpan _timeout;
    private volatile bool _created;

    /// <param name="timeout">Bounds each operation, connecting included.</param>
    public PostgresLeaseTable(string connectionString, TimeSpan timeout)
    {
        _timeout = timeout;
        int seconds = Math.Max(1, (int)Math.Ceiling(timeout.TotalSeconds));
        var builder = new NpgsqlConnectionStringBuilder(connectionString) { Timeout = seconds, CommandTimeout = seconds, CancellationTimeout = -1 };
        _source = NpgsqlDataSource.Create(builder.ConnectionString);
    }

    /// <summary>
    /// Runs one operation and gives up on it after the timeout whatever the driver does: with the
    /// network gone, a connection's own timeouts were seen not to end a call at all, and the Split
    /// Brain Resolver waits for the answer before it decides anything.
    /// </summary>
    private async Task<T> BoundedAsync<T>(Func<CancellationToken, Task<T>> operation, CancellationToken cancel)
    {
        using var bound = CancellationTokenSource.CreateLinkedTokenSource(cancel);
        bound.CancelAfter(_timeout);
        return await operation(bound.Token).WaitAsync(_timeout, cancel);
    }

    public async Task<bool> TakeAsync(string name, string owner, TimeSpan ttl, CancellationToken cancel) =>
        await ExecuteAsync(TakeSql, cancel, ("name", name), ("owner", owner), ("ttl_ms", (long)ttl.TotalMilliseconds)) == 1;

    public Task ReleaseAsync(string name, string owner, CancellationToken cancel) =>
        ExecuteAsync(ReleaseSql, cancel, ("name", name), ("owner", owner));

    public Task<TimeSpan> RevokeAsync(string name, CancellationToken cancel) => BoundedAsync(c => TimeLeftAsync(RevokeSql, name, c), cancel);

    /// <summary>The lease's owner and expiry as they are now, and how long until it expires; null if there is no such lease.</summary>
    public Task<LeaseRow?> ObserveAsync(string name, CancellationToken cancel) => BoundedAsync(c => ReadRowAsync(name, c), cancel);

    private async Task<LeaseRow?> ReadRowAsync(string name, CancellationToken cancel)
    {
        await using var command = await CommandAsync(ObserveSql, cancel, [("name", name)]);
        await using var reader = await command.ExecuteReaderAsync(cancel);
        if (!await reader.ReadAsync(cancel)) return null;
        return new LeaseRow(reader.GetString(0), reader.GetFieldValue<DateTime>(1), TimeSpan.FromSeconds(reader.GetDouble(2)));
    }

    /// <summary>Takes the lease only if it has expired exactly as <paramref name="seen"/> left it: its holder neither renewed nor released it since.</summary>
    public async Task<bool> TakeUntouchedAsync(string name, string owner, TimeSpan ttl, LeaseRow seen, CancellationToken cancel) =>
        await ExecuteAsync(TakeUntouchedSql, cancel, ("name", name), ("owner", owner), ("ttl_ms", (long)ttl.TotalMilliseconds),
            ("seen_owner", seen.Owner), ("seen_expiry", seen.ExpiresAt)) == 1;

    private async Task<TimeSpan> TimeLeftAsync(string sql, string name, CancellationToken cancel)
    {
        await using var command = await CommandAsync(sql, cancel, [("name", name)]);
        return await command.ExecuteScalarAsync(cancel) is double seconds ? TimeSpan.FromSeconds(seconds) : TimeSpan.Zero;
    }

    private Task<int> ExecuteAsync(string sql, CancellationToken cancel, params (string Name, object Value)[] parameters) =>
        BoundedAsync(c => RunAsync(sql, c, parameters), cancel);

    private async Task<int> RunAsync(string sql, CancellationToken cancel, (string Name, object Value)[] parameters)
    {
        await using var command = await CommandAsync(sql, cancel, parameters);
        return await command.ExecuteNonQueryAsync(cancel);
    }

    /// <summary>A statement with its parameters, once the table exists.</summary>
    private async Task<NpgsqlCommand> CommandAsync(string sql, CancellationToken cancel, (string Name, object Value)[] parameters)
    {
        await EnsureTableAsync(cancel);
        var command = _source.CreateCommand(sql);
        foreach (var (name, value) in parameters) command.Parameters.AddWithValue(name, value);
        return command;
    }

    private async Task EnsureTableAsync(CancellationToken cancel)
    {
        if (_created) return;
        try
        {
            await using var command = _source.CreateCommand(CreateSql);
            await command.ExecuteNonQueryAsync(cancel);
        }
        // Two creators at once (nodes, or one node's leases starting together): the loser of the race
        // on the catalog sees the table, its row type or their catalog entries already there.
        catch (PostgresException e) when (e.SqlState is PostgresErrorCodes.UniqueViolation or PostgresErrorCodes.DuplicateTable
            or PostgresErrorCodes.DuplicateObject)
        {
        }
        _created = true;
    }

    public ValueTask DisposeAsync() => _source.DisposeAsync();
}

/// <summary>A lease as <see cref="PostgresLeaseTable.ObserveAsync"/> saw it: owner, expiry (the database's clock) and the time left until then.</summary>
public sealed record LeaseRow(string Owner, DateTime ExpiresAt, TimeSpan Left);

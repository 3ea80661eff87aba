using Microsoft.Data.Sqlite;
using Npgsql;

namespace Tern.Host.Node;

public enum DatabaseKind { Sqlite, PostgreSql }

/// <summary>
/// Where the ClusterManager's journal lives: <c>--db</c> as given (a SQLite <c>Data Source=FILE</c>
/// or a PostgreSQL <c>Host=...</c> connection string), or by default a SQLite file in the data
/// directory. The node opens it once before joining, so a wrong one is a clear error, not a
/// manager that cannot recover.
/// </summary>
public sealed record NodeDatabase(DatabaseKind Kind, string ConnectionString)
{
    public const string DefaultFileName = "tern.db";

    public string HoconFile => Kind == DatabaseKind.Sqlite ? "persistence-sqlite.conf" : "persistence-postgresql.conf";

    /// <summary>Throws <see cref="NodeStartException"/> for a connection string of neither kind.</summary>
    public static NodeDatabase From(string? connectionString, string dataDirectory)
    {
        if (connectionString is null) return new(DatabaseKind.Sqlite, $"Data Source={Path.Combine(dataDirectory, DefaultFileName)}");
        var keys = Keys(connectionString);
        if (keys.Contains("host") || keys.Contains("server")) return new(DatabaseKind.PostgreSql, connectionString);
        if (keys.Contains("data source") || keys.Contains("datasource") || keys.Contains("filename"))
            return new(DatabaseKind.Sqlite, connectionString);
        throw new NodeStartException("--db: expected a SQLite 'Data Source=FILE' or a PostgreSQL 'Host=...;Database=...' connection string");
    }

    private static HashSet<string> Keys(string connectionString)
    {
        try
        {
            var builder = new System.Data.Common.DbConnectionStringBuilder { ConnectionString = connectionString };
            return builder.Keys.Cast<string>().Select(k => k.ToLowerInvariant()).ToHashSet();
        }
        catch (ArgumentException e)
        {
            throw new NodeStartException($"--db: malformed connection string ({e.Message})");
        }
    }

    /// <summary>
    /// Opens and closes one connection; throws <see cref="NodeStartException"/> saying which
    /// database could not be opened. A PostgreSQL server that cannot be reached is tried again
    /// until <paramref name="wait"/> has passed; one that answers with a refusal is not.
    /// </summary>
    public async Task ProbeAsync(TimeSpan wait, CancellationToken cancel)
    {
        var deadline = DateTime.UtcNow + wait;
        bool retried = false;
        while (true)
        {
            try
            {
                await OpenOnceAsync(cancel);
                return;
            }
            catch (NpgsqlException e) when (e is not PostgresException && DateTime.UtcNow + RetryPause < deadline)
            {
                await Task.Delay(RetryPause, cancel);
                retried = true;
            }
            catch (Exception e) when (e is System.Data.Common.DbException or ArgumentException or InvalidOperationException or IOException or TimeoutException)
            {
                string kept = retried ? $" (kept trying for {wait.TotalSeconds:0.#} s)" : "";
                throw new NodeStartException($"cannot open the database {Describe()}: {e.Message}{kept}");
            }
        }
    }

    private static readonly TimeSpan RetryPause = TimeSpan.FromMilliseconds(500);

    private async Task OpenOnceAsync(CancellationToken cancel)
    {
        if (Kind == DatabaseKind.Sqlite)
        {
            await using var sqlite = new SqliteConnection(ConnectionString);
            await sqlite.OpenAsync(cancel);
        }
        else
        {
            var builder = new NpgsqlConnectionStringBuilder(ConnectionString);
            if (builder.Timeout > 10) builder.Timeout = 10;
            await using var postgres = new NpgsqlConnection(builder.ConnectionString);
            await postgres.OpenAsync(cancel);
        }
    }

    /// <summary>The database without credentials, for messages.</summary>
    public string Describe()
    {
        if (Kind == DatabaseKind.Sqlite) return $"'{new SqliteConnectionStringBuilder(ConnectionString).DataSource}' (SQLite)";
        var b = new NpgsqlConnectionStringBuilder(ConnectionString);
        return $"'{b.Database}' on {b.Host}:{b.Port} (PostgreSQL)";
    }
}

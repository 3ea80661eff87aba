using System.Diagnostics;
using Tern.EndToEnd.Tests.Support;

namespace Tern.EndToEnd.Tests.Cluster;

/// <summary>
/// A private PostgreSQL server for one test: initdb in a scratch directory, started on a free
/// loopback port with trust authentication, removed afterwards. PostgreSQL refuses to run as root,
/// so as root its programs run as the <c>postgres</c> user. It listens on loopback unless given
/// another local address (a bridge that network-namespaced nodes reach). Debian's <c>postgresql</c> package
/// provides the programs (scripts/install-test-deps.sh installs it).
/// </summary>
public sealed class PostgresServer : IDisposable
{
    private readonly string _dir = Path.Combine(Path.GetTempPath(), "tern-pg-" + Guid.NewGuid().ToString("N")[..12]);
    private readonly string _bin;
    private readonly Process _server;
    private readonly System.Text.StringBuilder _log = new();

    public PostgresServer(string listenAddress = "127.0.0.1")
    {
        ListenAddress = listenAddress;
        _bin = Bin ?? throw new InvalidOperationException("PostgreSQL is not installed (scripts/install-test-deps.sh installs it)");
        Port = ClusterNode.FreePort();
        Directory.CreateDirectory(_dir);
        if (Environment.UserName == "root") Run("chown", "postgres:postgres", _dir);
        RunPostgres("initdb", "-D", Data, "-U", "tern", "--auth=trust", "-E", "UTF8", "--no-sync");
        // Clients on the listen address's /24 (the namespaces on a test bridge) are trusted too.
        if (listenAddress != "127.0.0.1") File.AppendAllText(Path.Combine(Data, "pg_hba.conf"), $"host all all {listenAddress}/24 trust\n");
        // In the foreground, tied to this test host: pg_ctl would leave a daemon behind a crashed run.
        // huge_pages=off: with its default (try) the server takes 2 MiB pages from a hugetlbfs pool
        // that a test beside it sized for its own guests.
        _server = StartServer(["-D", Data, "-p", Port.ToString(), "-k", _dir, "-c", $"listen_addresses={listenAddress}",
            "-c", "fsync=off", "-c", "huge_pages=off"]);
        _server.ErrorDataReceived += (_, e) => { if (e.Data is not null) lock (_log) _log.AppendLine(e.Data); };
        _server.BeginErrorReadLine();
        try
        {
            WaitUntilAccepting(TimeSpan.FromSeconds(60));
            RunPostgres("createdb", "-h", listenAddress, "-p", Port.ToString(), "-U", "tern", "tern");
        }
        catch
        {
            Dispose(); // a constructor that throws is never disposed: the server would outlive the test
            throw;
        }
    }

    /// <summary>The newest installed PostgreSQL's bin directory, or null when there is none.</summary>
    public static string? Bin =>
        Directory.Exists("/usr/lib/postgresql")
            ? Directory.GetDirectories("/usr/lib/postgresql").Select(d => Path.Combine(d, "bin"))
                .Where(b => File.Exists(Path.Combine(b, "initdb"))).OrderByDescending(b => b, StringComparer.Ordinal).FirstOrDefault()
            : null;

    public int Port { get; }

    public string ListenAddress { get; }

    public string ConnectionString => $"Host={ListenAddress};Port={Port};Database=tern;Username=tern";

    private string Data => Path.Combine(_dir, "data");

    /// <summary>Runs one SQL statement with psql; its rows, unaligned, one per line.</summary>
    public string Query(string sql)
    {
        var info = new ProcessStartInfo(Path.Combine(_bin, "psql"), ["-h", ListenAddress, "-p", Port.ToString(), "-U", "tern", "-d", "tern", "-XAtc", sql])
            { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
        using var p = Process.Start(info)!;
        string output = p.StandardOutput.ReadToEnd();
        string error = p.StandardError.ReadToEnd();
        p.WaitForExit();
        if (p.ExitCode != 0) throw new InvalidOperationException($"psql {sql}: {error.Trim()}");
        return output.Trim();
    }

    private void RunPostgres(string program, params string[] args)
    {
        string path = Path.Combine(_bin, program);
        if (Environment.UserName == "root") Run("runuser", ["-u", "postgres", "--", path, .. args]);
        else Run(path, args);
    }

    /// <summary>The postmaster, as the postgres user when this host runs as root (it refuses root).</summary>
    private Process StartServer(string[] args)
    {
        var info = new ProcessStartInfo(Path.Combine(_bin, "postgres"), args) { RedirectStandardError = true, UseShellExecute = false };
        return TiedChildProcess.Start(info, Environment.UserName == "root" ? "postgres" : null);
    }

    private void WaitUntilAccepting(TimeSpan timeout)
    {
        var deadline = DateTime.UtcNow + timeout;
        while (!Accepting())
        {
            string log;
            lock (_log) log = _log.ToString();
            if (_server.HasExited) throw new InvalidOperationException($"postgres exited ({_server.ExitCode}) at start:\n{log}");
            if (DateTime.UtcNow > deadline) throw new TimeoutException($"postgres did not accept connections within {timeout}:\n{log}");
            Thread.Sleep(100);
        }
    }

    private bool Accepting()
    {
        using var p = Process.Start(new ProcessStartInfo(Path.Combine(_bin, "pg_isready"), ["-q", "-h", ListenAddress, "-p", Port.ToString(), "-t", "1"]))!;
        p.WaitForExit();
        return p.ExitCode == 0;
    }

    private static void Run(string program, params string[] args)
    {
        var info = new ProcessStartInfo(program) { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
        foreach (var a in args) info.ArgumentList.Add(a);
        using var p = Process.Start(info)!;
        string output = p.StandardOutput.ReadToEnd() + p.StandardError.ReadToEnd();
        p.WaitForExit();
        if (p.ExitCode != 0) throw new InvalidOperationException($"{program} {string.Join(' ', args)} failed ({p.ExitCode}):\n{output}");
    }

    public void Dispose()
    {
        try
        {
            if (!_server.HasExited)
            {
                Run("kill", "-QUIT", _server.Id.ToString()); // PostgreSQL's immediate shutdown
                if (!_server.WaitForExit(TimeSpan.FromSeconds(30))) _server.Kill();
                _server.WaitForExit();
            }
            _server.Dispose();
        }
        finally
        {
            try { Directory.Delete(_dir, recursive: true); } catch (IOException) { }
        }
    }
}

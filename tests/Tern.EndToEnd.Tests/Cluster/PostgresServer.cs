using System.Diagnostics;

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
    private bool _started;

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
        // huge_pages=off: with its default (try) the server takes 2 MiB pages from a hugetlbfs pool
        // that a test beside it sized for its own guests.
        RunPostgres("pg_ctl", "-D", Data, "-l", Path.Combine(_dir, "server.log"), "-w", "-t", "60",
            "-o", $"-p {Port} -k {_dir} -c listen_addresses={listenAddress} -c fsync=off -c huge_pages=off", "start");
        _started = true;
        try
        {
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

    private void RunPostgres(string program, params string[] args)
    {
        string path = Path.Combine(_bin, program);
        if (Environment.UserName == "root") Run("runuser", ["-u", "postgres", "--", path, .. args]);
        else Run(path, args);
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
            if (_started) RunPostgres("pg_ctl", "-D", Data, "-m", "immediate", "-w", "stop");
        }
        finally
        {
            try { Directory.Delete(_dir, recursive: true); } catch (IOException) { }
        }
    }
}

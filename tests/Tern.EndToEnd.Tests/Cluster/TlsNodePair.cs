using Tern.EndToEnd.Tests.Support;
using static Tern.EndToEnd.Tests.Migration.TlsMigrationTests;

namespace Tern.EndToEnd.Tests.Cluster;

/// <summary>
/// Two loopback nodes run with --tls (certificates from <c>tern ca issue</c>, naming 127.0.0.1)
/// sharing a PostgreSQL journal, both up; and a soak guest on them that a test moves and then
/// checks went on: ticks without a gap and memory checks passing on its new host.
/// </summary>
public sealed class TlsNodePair : IDisposable
{
    public static readonly TimeSpan VmTimeout = TimeSpan.FromSeconds(90);

    private readonly PostgresServer _postgres;

    /// <param name="config">HOCON both nodes read beside the pair's own settings.</param>
    public TlsNodePair(string config = "")
    {
        Dir = new TempDir();
        _postgres = new PostgresServer();
        Ca("init", "--dir", CaDirectory);
        foreach (var node in new[] { "n1", "n2" })
            Ca("issue", node, "--dir", CaDirectory, "--out", Dir.File($"{node}-tls"), "--ip", "127.0.0.1");
        string configFile = Dir.File("node.conf");
        File.WriteAllText(configFile, "tern.cluster.manager.migration.completion-timeout-per-gib = 600s\n" + config);
        int[] ports = [ClusterNode.FreePort(), ClusterNode.FreePort()];
        Array.Sort(ports);
        N1 = new ClusterNode(ports[0], "n1", Dir.File("n1"), "--db", _postgres.ConnectionString, "--config", configFile, "--tls", Dir.File("n1-tls"));
        N2 = new ClusterNode(ports[1], "n2", Dir.File("n2"), "--db", _postgres.ConnectionString, "--config", configFile, "--tls", Dir.File("n2-tls"),
            "--seed", $"127.0.0.1:{N1.BindPort}");
        N1.WaitFor(() => N1.CtlJson("hosts"), h => h.GetArrayLength() == 2 && h.EnumerateArray().All(x => x.GetProperty("state").GetString() == "up"),
            VmTimeout, "both hosts up");
    }

    public TempDir Dir { get; }
    public string CaDirectory => Dir.File("ca");
    public ClusterNode N1 { get; }
    public ClusterNode N2 { get; }

    /// <summary>Creates a 96 MiB soak guest and waits until it ticks; says where it runs, where it could go, and how many memory checks it passed so far.</summary>
    public SoakGuest StartSoak(string name)
    {
        Assert.Equal(0, N1.Ctl("create", name, "--kernel", Repo.TestKernel, "--append", "mode=soak mib=64 tick_ms=50 check_every=5", "--memory", "96M").ExitCode);
        N1.WaitFor(() => N1.VmState(name), s => s == "running", VmTimeout, $"{name} running");
        string from = HostOf(name);
        N1.WaitFor(() => TestKernel.Ticks(N1.ConsoleLines(name)), t => t.Count >= 5, VmTimeout, $"{name} ticking");
        return new SoakGuest(name, from, from == "n1" ? "n2" : "n1", Checks(N1.ConsoleLines(name)));
    }

    /// <summary>The guest runs on its target now and went on there: no tick missing, two more memory checks passed, none failed.</summary>
    public void AssertMovedAndWentOn(SoakGuest guest, string how)
    {
        N1.WaitFor(() => HostOf(guest.Name), h => h == guest.To, VmTimeout, $"{guest.Name} on {guest.To}");
        var lines = N1.WaitFor(() => N1.ConsoleLines(guest.Name), l => Checks(l) >= guest.ChecksBefore + 2, VmTimeout,
            $"{guest.Name} checking its memory on its new host");
        TestKernel.AssertTicksContinue(lines, $"{guest.Name} {how}", gaps: 0);
        Assert.DoesNotContain(lines, l => l.Contains("BAD"));
    }

    public string HostOf(string vm) =>
        N1.CtlJson("vms").EnumerateArray().Single(v => v.GetProperty("name").GetString() == vm).GetProperty("host").GetString()!;

    private static int Checks(IReadOnlyList<string> lines) =>
        lines.Count(x => x.StartsWith("SOAK check", StringComparison.Ordinal) && x.EndsWith(" ok", StringComparison.Ordinal));

    public void Dispose()
    {
        N2.Dispose();
        N1.Dispose();
        _postgres.Dispose();
        Dir.Dispose();
    }
}

/// <summary>A soak guest running on <paramref name="From"/>, to be moved to <paramref name="To"/>.</summary>
public sealed record SoakGuest(string Name, string From, string To, int ChecksBefore);

using System.Text.Json;
using Tern.EndToEnd.Tests.Support;

namespace Tern.EndToEnd.Tests.Cluster;

/// <summary>
/// Issue 15: nodes started with <c>--tls DIR</c> (certificates from <c>tern ca issue</c>, naming their
/// --bind address) migrate over TLS with those certificates: the guest moves and goes on ticking,
/// its memory checks intact. Needs the node's --tls flag.
/// </summary>
public sealed class ClusterTlsMigrationTests
{
    private static readonly TimeSpan VmTimeout = TimeSpan.FromSeconds(90);
    private const string Soak = "mode=soak mib=64 tick_ms=50 check_every=5";

    [KvmPostgresFact]
    public void Nodes_with_tls_migrate_a_guest_over_tls()
    {
        using var dir = new TempDir();
        using var postgres = new PostgresServer();
        Ca("init", "--dir", dir.File("ca"));
        foreach (var node in new[] { "n1", "n2" })
            Ca("issue", node, "--dir", dir.File("ca"), "--out", dir.File($"{node}-tls"), "--ip", "127.0.0.1");
        string config = dir.File("node.conf");
        File.WriteAllText(config, "tern.cluster.manager.migration.completion-timeout-per-gib = 600s\n");
        int[] ports = [ClusterNode.FreePort(), ClusterNode.FreePort()];
        Array.Sort(ports);
        using var n1 = new ClusterNode(ports[0], "n1", dir.File("n1"), "--db", postgres.ConnectionString, "--config", config, "--tls", dir.File("n1-tls"));
        using var n2 = new ClusterNode(ports[1], "n2", dir.File("n2"), "--db", postgres.ConnectionString, "--config", config, "--tls", dir.File("n2-tls"),
            "--seed", $"127.0.0.1:{n1.BindPort}");
        n1.WaitFor(() => n1.CtlJson("hosts"), h => h.GetArrayLength() == 2 && h.EnumerateArray().All(x => x.GetProperty("state").GetString() == "up"),
            VmTimeout, "both hosts up");

        Assert.Equal(0, n1.Ctl("create", "a", "--kernel", Repo.TestKernel, "--append", Soak, "--memory", "96M").ExitCode);
        n1.WaitFor(() => n1.VmState("a"), s => s == "running", VmTimeout, "a running");
        string from = HostOf(n1, "a");
        string to = from == "n1" ? "n2" : "n1";
        n1.WaitFor(() => TestKernel.Ticks(n1.ConsoleLines("a")), t => t.Count >= 5, VmTimeout, "a ticking");

        static int Checks(IReadOnlyList<string> lines) =>
            lines.Count(x => x.StartsWith("SOAK check", StringComparison.Ordinal) && x.EndsWith(" ok", StringComparison.Ordinal));
        int checksBefore = Checks(n1.ConsoleLines("a"));
        var migrated = n1.Ctl("migrate", "a", "--to", to, "--json");
        Assert.True(migrated.ExitCode == 0, migrated.Output);
        Assert.Equal("completed", JsonDocument.Parse(string.Join("\n", migrated.Stdout)).RootElement.GetProperty("status").GetString());

        n1.WaitFor(() => HostOf(n1, "a"), h => h == to, VmTimeout, $"a on {to}");
        var lines = n1.WaitFor(() => n1.ConsoleLines("a"), l => Checks(l) >= checksBefore + 2, VmTimeout, "a checking its memory on its new host");
        TestKernel.AssertTicksContinue(lines, "a across the TLS migration", gaps: 0);
        Assert.DoesNotContain(lines, l => l.Contains("BAD"));
    }

    private static void Ca(params string[] args)
    {
        var result = TernProcess.Run(["ca", .. args], TimeSpan.FromSeconds(60));
        Assert.True(result.ExitCode == 0, result.Output);
    }

    private static string HostOf(ClusterNode node, string vm) =>
        node.CtlJson("vms").EnumerateArray().Single(v => v.GetProperty("name").GetString() == vm).GetProperty("host").GetString()!;
}

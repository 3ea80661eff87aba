using System.Text.Json;
using Tern.EndToEnd.Tests.Support;
using Xunit.Abstractions;

namespace Tern.EndToEnd.Tests.Cluster;

/// <summary>
/// A node killed (SIGKILL) in the middle of a slow cluster migration: when it is the target, the
/// guest goes on at the source as if nothing happened; when it is the source, the VM fails over to
/// the survivor (the would-be target) from its definition. Either way exactly one instance runs.
/// </summary>
// Alone: its nodes fence themselves by timer (issue 19 brings leases), so a node starved of CPU by
// tests beside it fences and ends the migration before the fault; seen once beside another
// cluster test (its restarted node could not rejoin in time) and once beside a CPU hog.
[Collection(AloneCollection.Name)]
public sealed class ClusterMigrationFaultTests(ITestOutputHelper output)
{
    private static readonly TimeSpan VmTimeout = TimeSpan.FromSeconds(90);

    [KvmPostgresFact]
    public void A_node_killed_mid_migration_loses_no_vm_and_runs_none_twice()
    {
        using var dir = new TempDir();
        using var postgres = new PostgresServer();
        string config = dir.File("node.conf");
        // A restarted n2 rejoins on its old address: a clean-clone run once saw n1 leave its join
        // unanswered past the default 20 s while another cluster test ran beside it.
        File.WriteAllText(config, """
            tern.cluster.manager.migration.max-bandwidth = 4000000
            tern.cluster.manager.migration.completion-timeout-per-gib = 600s
            tern.node.join-timeout = 60s
            """);
        // n1 has the lower address: keep-majority's tie-breaker keeps it when n2 is lost.
        int[] ports = [ClusterNode.FreePort(), ClusterNode.FreePort()];
        Array.Sort(ports);
        using var n1 = new ClusterNode(ports[0], "n1", dir.File("n1"), "--db", postgres.ConnectionString, "--config", config);
        using var n2 = new ClusterNode(ports[1], "n2", dir.File("n2"), "--db", postgres.ConnectionString, "--config", config, "--seed", $"127.0.0.1:{n1.BindPort}");
        WaitBothUp(n1);
        Assert.Equal(0, n1.Ctl("create", "a", "--kernel", Repo.TestKernel, "--append", "mode=soak mib=32 tick_ms=50 check_every=5", "--memory", "96M").ExitCode);
        n1.WaitFor(() => n1.VmState("a"), s => s == "running", VmTimeout, "a running");
        if (HostOf(n1) == "n2") Assert.Equal(0, n1.Ctl("migrate", "a", "--to", "n1").ExitCode);

        // The target dies: the source keeps its guest, which never stops counting.
        int before = n1.LastTick("a");
        using (var migrate = StartMigrate(n1, "n2"))
        {
            n2.Process.Dispose();
            Assert.Equal(1, migrate.WaitForExit(VmTimeout));
            output.WriteLine($"target killed: {migrate.Stderr.Trim()}");
        }
        n1.WaitFor(() => n1.CtlJson("vms").EnumerateArray().Single(), v => v.GetProperty("state").GetString() == "running", VmTimeout, "a running");
        Assert.Equal("n1", HostOf(n1));
        var lines = n1.WaitFor(() => n1.ConsoleLines("a"), l => TestKernel.Ticks(l).DefaultIfEmpty(0).Max() >= before + 40, VmTimeout, "a ticking on n1");
        var ticks = TestKernel.Ticks(lines);
        // The instance that ran before the kill (it may itself have arrived by migration), counting on without a gap.
        Assert.True(ticks[0] <= before, $"a started over: first tick {ticks[0]}, {before} before the kill");
        Assert.Equal(Enumerable.Range(ticks[0], ticks.Count), ticks);
        Assert.DoesNotContain(lines, l => l.Contains("BAD", StringComparison.Ordinal));

        n2.Restart();
        WaitBothUp(n1);
        var moved = n1.Ctl("migrate", "a", "--to", "n2");
        Assert.True(moved.ExitCode == 0, moved.Output);
        long incarnation = n1.CtlJson("vms").EnumerateArray().Single().GetProperty("incarnation").GetInt64();

        // The source dies: the VM fails over to n1 (which was receiving it) as a new incarnation.
        using (var migrate = StartMigrate(n1, "n1"))
        {
            n2.Process.Dispose();
            Assert.Equal(1, migrate.WaitForExit(VmTimeout));
            output.WriteLine($"source killed: {migrate.Stderr.Trim()}");
        }
        var vm = n1.WaitFor(() => n1.CtlJson("vms").EnumerateArray().Single(),
            v => v.GetProperty("host").GetString() == "n1" && v.GetProperty("state").GetString() == "running", VmTimeout, "a running again on n1");
        Assert.True(vm.GetProperty("incarnation").GetInt64() > incarnation + 1, vm.ToString());
        n1.WaitFor(() => TestKernel.Ticks(n1.ConsoleLines("a")), t => t.Count >= 5, VmTimeout, "a ticking on n1 after the failover");
        Assert.Contains("vm a placed on n1 (failover from n2)", string.Join("\n", n1.Ctl("events").Stdout));
    }

    private static void WaitBothUp(ClusterNode node) =>
        node.WaitFor(() => node.CtlJson("hosts"), h => h.GetArrayLength() == 2
            && h.EnumerateArray().All(x => x.GetProperty("state").GetString() == "up" && x.GetProperty("load").ValueKind != JsonValueKind.Null), VmTimeout, "both hosts up and reporting");

    private static string HostOf(ClusterNode node) =>
        node.CtlJson("vms").EnumerateArray().Single().GetProperty("host").GetString()!;

    /// <summary>Starts <c>ctl migrate a</c> and returns once pages are flowing.</summary>
    private static TernProcess StartMigrate(ClusterNode node, string to)
    {
        var migrate = TernProcess.Start([.. node.CtlPrefix, "migrate", "a", "--to", to]);
        MigrationWatch.WaitSending(node.Http(TimeSpan.FromSeconds(10)), "a", to, 4_000_000, VmTimeout);
        return migrate;
    }
}

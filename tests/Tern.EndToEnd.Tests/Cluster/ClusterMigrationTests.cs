using System.Text.Json;
using Tern.EndToEnd.Tests.Support;
using Xunit.Abstractions;

namespace Tern.EndToEnd.Tests.Cluster;

/// <summary>
/// Cluster live migration between two real nodes on loopback sharing a PostgreSQL journal:
/// <c>tern ctl migrate</c> moves a running soak guest, whose TICK numbering goes on on the new
/// host and whose memory checks never fail; bad requests are refused with clear errors; and
/// <c>drain</c> moves both VMs of a host to the other one, both guests going on; nodes with --tls
/// migrate over TLS.
/// </summary>
public sealed class ClusterMigrationTests(ITestOutputHelper output)
{
    private static readonly TimeSpan VmTimeout = TimeSpan.FromSeconds(90);
    private const string Soak = "mode=soak mib=64 tick_ms=50 check_every=5";

    [KvmPostgresFact]
    public void Ctl_migrate_moves_a_running_guest_without_a_gap_and_drain_empties_a_host_of_two()
    {
        using var dir = new TempDir();
        using var postgres = new PostgresServer();
        // Small guest capacity makes "no room" easy to provoke; a long completion timeout suits a loaded 2-core machine.
        string config = dir.File("node.conf");
        File.WriteAllText(config, """
            tern.host.guest-memory = 320M
            tern.cluster.manager.migration.completion-timeout-per-gib = 600s
            """);
        int[] ports = [ClusterNode.FreePort(), ClusterNode.FreePort()];
        Array.Sort(ports);
        using var n1 = new ClusterNode(ports[0], "n1", dir.File("n1"), "--db", postgres.ConnectionString, "--config", config);
        using var n2 = new ClusterNode(ports[1], "n2", dir.File("n2"), "--db", postgres.ConnectionString, "--config", config, "--seed", $"127.0.0.1:{n1.BindPort}");
        n1.WaitFor(() => n1.CtlJson("hosts"), h => h.GetArrayLength() == 2 && h.EnumerateArray().All(x => x.GetProperty("state").GetString() == "up" && x.TryGetProperty("load", out var l) && l.ValueKind != JsonValueKind.Null),
            VmTimeout, "both hosts up and reporting");

        Assert.Equal(0, n1.Ctl("create", "a", "--kernel", Repo.TestKernel, "--append", Soak, "--memory", "96M").ExitCode);
        n1.WaitFor(() => n1.VmState("a"), s => s == "running", VmTimeout, "a running");
        string from = HostOf(n1, "a");
        string to = from == "n1" ? "n2" : "n1";
        n1.WaitFor(() => TestKernel.Ticks(n1.ConsoleLines("a")), t => t.Count >= 5, VmTimeout, "a ticking");

        // Bad input: clear errors, nothing changes.
        AssertRefused(n1.Ctl("migrate", "nope", "--to", to), "no VM named 'nope'");
        AssertRefused(n1.Ctl("migrate", "a", "--to", "h9"), "no host named 'h9'");
        AssertRefused(n1.Ctl("migrate", "a", "--to", from), $"vm a already runs on {from}");
        Assert.Equal(0, n1.Ctl("create", "big", "--kernel", Repo.TestKernel, "--append", "mode=ticks tick_ms=500", "--memory", "250M").ExitCode);
        Assert.Equal(to, HostOf(n1, "big"));
        AssertRefused(n1.Ctl("migrate", "a", "--to", to), $"host {to} has no room for 'a'");
        Assert.Equal(0, n1.Ctl("stop", "big").ExitCode);
        n1.WaitFor(() => n1.VmState("big"), s => s == "stopped", VmTimeout, "big stopped");
        Assert.Equal(0, n1.Ctl("delete", "big").ExitCode);
        Assert.Equal(from, HostOf(n1, "a"));

        using var follower = TernProcess.Start([.. n1.CtlPrefix, "console", "a", "--follow"]);
        follower.WaitForLine("TICK", VmTimeout);
        var migrated = n1.Ctl("migrate", "a", "--to", to, "--json");
        Assert.True(migrated.ExitCode == 0, migrated.Output);
        var report = JsonDocument.Parse(string.Join("\n", migrated.Stdout)).RootElement;
        Assert.Equal("completed", report.GetProperty("status").GetString());
        output.WriteLine($"migrate {from} -> {to}: {report.GetProperty("totalTimeMs")} ms in {report.GetProperty("round")} rounds, " +
                         $"guest paused {report.GetProperty("downtimeMs")} ms");

        n1.WaitFor(() => n1.CtlJson("vms").EnumerateArray().Single(v => v.GetProperty("name").GetString() == "a"),
            v => v.GetProperty("host").GetString() == to && v.GetProperty("state").GetString() == "running", VmTimeout, $"a running on {to}");
        follower.WaitForLine(l => l.StartsWith("TICK", StringComparison.Ordinal) && follower.Stderr.Contains($"tern ctl: a moved to {to}"), VmTimeout);
        int switchedAt = TestKernel.Ticks(follower.Stdout).Count;
        n1.WaitFor(() => TestKernel.Ticks(follower.Stdout).Count, n => n >= switchedAt + 20, VmTimeout, "a ticking on its new host");
        // The migration carried the console's output: the follower misses nothing at the switch-over.
        TestKernel.AssertTicksContinue(follower.Stdout, "a, followed across the migration", gaps: 0);
        Assert.DoesNotContain("started again", follower.Stderr);

        // a on `to`; c is placed on `from` (less committed), then joins it: `to` holds two VMs.
        Assert.Equal(0, n1.Ctl("create", "c", "--kernel", Repo.TestKernel, "--append", Soak, "--memory", "96M").ExitCode);
        n1.WaitFor(() => n1.VmState("c"), s => s == "running", VmTimeout, "c running");
        if (HostOf(n1, "c") != to)
        {
            var moved = n1.Ctl("migrate", "c", "--to", to);
            Assert.True(moved.ExitCode == 0, moved.Output);
        }
        n1.WaitFor(() => n1.VmState("c"), s => s == "running", VmTimeout, $"c running on {to}");
        var before = new[] { "a", "c" }.ToDictionary(v => v, n1.LastTick);

        var drained = n1.Ctl("drain", to);
        Assert.True(drained.ExitCode == 0, drained.Output);
        Assert.Equal($"host {to} is drained", drained.Stdout[^1]);
        var vms = n1.CtlJson("vms");
        Assert.All(vms.EnumerateArray(), v => Assert.Equal(from, v.GetProperty("host").GetString()));
        Assert.Equal("draining", HostState(n1, to));
        foreach (var vm in new[] { "a", "c" })
        {
            n1.WaitFor(() => n1.VmState(vm), s => s == "running", VmTimeout, $"{vm} running on {from}");
            var lines = n1.WaitFor(() => n1.ConsoleLines(vm), l => TestKernel.Ticks(l).DefaultIfEmpty(0).Max() >= before[vm] + 10, VmTimeout, $"{vm} ticking on {from}");
            // The instance on `from` went on with the guest's next tick, not a reboot: its console
            // carries what the guest printed before the move and counts on without a single gap.
            Assert.True(lines.Count(l => l.StartsWith("SOAK filled", StringComparison.Ordinal)) <= 1, $"{vm} booted again:\n{string.Join("\n", lines)}");
            TestKernel.AssertTicksContinue(lines, $"{vm} after the drain", gaps: 0);
            Assert.True(n1.CtlJson("console", vm).GetProperty("continues").GetBoolean(), $"{vm}'s console on {from} does not continue its output");
        }
        Assert.Equal(0, n1.Ctl("undrain", to).ExitCode);
        Assert.Equal("up", HostState(n1, to));
    }

    [KvmPostgresFact]
    public void Nodes_with_tls_migrate_a_guest_over_tls()
    {
        // Issue 15: nodes started with --tls DIR (certificates from tern ca issue, naming their --bind
        // address) migrate over TLS with them. Needs the node's --tls flag.
        using var nodes = new TlsNodePair();
        var guest = nodes.StartSoak("a");
        var migrated = nodes.N1.Ctl("migrate", "a", "--to", guest.To, "--json");
        Assert.True(migrated.ExitCode == 0, migrated.Output);
        Assert.Equal("completed", JsonDocument.Parse(string.Join("\n", migrated.Stdout)).RootElement.GetProperty("status").GetString());
        nodes.AssertMovedAndWentOn(guest, "across the TLS migration");
    }

    private static string HostOf(ClusterNode node, string vm) =>
        node.CtlJson("vms").EnumerateArray().Single(v => v.GetProperty("name").GetString() == vm).GetProperty("host").GetString()!;

    private static string? HostState(ClusterNode node, string host) =>
        node.CtlJson("hosts").EnumerateArray().Single(h => h.GetProperty("name").GetString() == host).GetProperty("state").GetString();

    private static void AssertRefused(TernResult result, string message)
    {
        Assert.True(result.ExitCode == 1, result.Output);
        Assert.Contains(message, result.Stderr);
    }
}

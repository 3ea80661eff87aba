using System.Text.Json;
using Tern.EndToEnd.Tests.Support;
using Xunit.Abstractions;

namespace Tern.EndToEnd.Tests.Cluster;

/// <summary>
/// A cluster migration that is slow on purpose (a 4 MB/s cap for a 64 MiB soak region): Ctrl-C on
/// <c>tern ctl migrate</c> cancels it, and the completion timeout (10 s for a small guest) with
/// on-timeout = abort aborts it, each time leaving the guest ticking on its source with its memory
/// checks passing; with on-timeout = force the timeout instead switches over at the next round,
/// and the guest goes on at the destination after a longer pause.
/// </summary>
public sealed class ClusterMigrationCancelTests(ITestOutputHelper output)
{
    private static readonly TimeSpan VmTimeout = TimeSpan.FromSeconds(90);

    [KvmPostgresFact]
    public void Ctrl_c_cancels_a_migration_leaving_the_guest_on_its_source()
    {
        using var dir = new TempDir();
        using var postgres = new PostgresServer();
        // A completion timeout of about a minute: the cap keeps the migration running for 16 s or
        // more, and nothing but the Ctrl-C can end it while it is seen active.
        using var pair = SlowPair(dir, postgres, "abort", timeoutPerGiB: "600s");
        var (n1, from, to) = (pair.N1, pair.From, pair.To);

        var began = DateTime.UtcNow;
        // A shell without job control starts its background commands with SIGINT ignored, and the
        // ignoring passes to every process below them (this suite's own, run with `&`): .NET keeps an
        // inherited SIG_IGN, as a Unix program should, so ctl would never see the Ctrl-C. The
        // operator's ctl runs in a terminal: give it SIGINT's default disposition, as there.
        using (var migrate = TernProcess.Start(["--default-signal=INT", Repo.TernExecutable, .. n1.CtlPrefix, "migrate", "a", "--to", to], executable: "env"))
        {
            n1.WaitFor(() => Migration(n1).GetProperty("status").GetString(), s => s == "active", VmTimeout, "the migration under way");
            var interrupted = DateTime.UtcNow;
            using (var interrupt = System.Diagnostics.Process.Start("kill", ["-INT", migrate.Id.ToString()])) interrupt.WaitForExit();
            int exit = migrate.WaitForExit(TimeSpan.FromSeconds(30));
            output.WriteLine($"ctl migrate: active after {(interrupted - began).TotalSeconds:0.0} s, Ctrl-C then, exit {exit} {(DateTime.UtcNow - interrupted).TotalSeconds:0.0} s later: {migrate.Stderr.Trim()}");
            if (exit != 1) // what the cluster saw
                output.WriteLine($"the manager's events:\n{string.Join("\n", n1.Ctl("events").Stdout.TakeLast(20))}\n" +
                                 $"n1's log:\n{string.Join("\n", n1.Process.Stderr.Split('\n').TakeLast(40))}\n" +
                                 $"n2's log:\n{string.Join("\n", pair.N2.Process.Stderr.Split('\n').TakeLast(40))}");
            Assert.Equal(1, exit);
            Assert.Contains($"migration of a to {to} canceled; a is on {from}", migrate.Stderr);
        }
        var canceled = n1.WaitFor(() => Migration(n1), m => m.GetProperty("status").GetString() is "canceled" or "failed", VmTimeout, "the migration ended");
        Assert.Equal("canceled", canceled.GetProperty("status").GetString());
        AssertGoesOnAt(n1, from);
    }

    [KvmPostgresFact]
    public void The_completion_timeout_with_on_timeout_abort_cancels_a_migration_leaving_the_guest_on_its_source()
    {
        using var dir = new TempDir();
        using var postgres = new PostgresServer();
        using var pair = SlowPair(dir, postgres, "abort");
        var (n1, from, to) = (pair.N1, pair.From, pair.To);

        var started = DateTime.UtcNow;
        var aborted = n1.Ctl("migrate", "a", "--to", to);
        output.WriteLine($"ctl migrate with a 10 s completion timeout: {(DateTime.UtcNow - started).TotalSeconds:0.0} s, {aborted.Stderr.Trim()}");
        Assert.Equal(1, aborted.ExitCode);
        Assert.Contains($"migration of a to {to} canceled: did not complete within 10 s (on-timeout = abort); a is on {from}", aborted.Stderr);
        AssertGoesOnAt(n1, from);
    }

    [KvmPostgresFact]
    public void The_completion_timeout_with_on_timeout_force_switches_over_at_the_next_round()
    {
        using var dir = new TempDir();
        using var postgres = new PostgresServer();
        using var pair = SlowPair(dir, postgres, "force");
        var (n1, to) = (pair.N1, pair.To);

        var started = DateTime.UtcNow;
        var forced = n1.Ctl("migrate", "a", "--to", to, "--json");
        var took = DateTime.UtcNow - started;
        Assert.True(forced.ExitCode == 0, forced.Output);
        var report = JsonDocument.Parse(string.Join("\n", forced.Stdout)).RootElement;
        output.WriteLine($"ctl migrate with a 10 s completion timeout, forced: {took.TotalSeconds:0.0} s, guest paused {report.GetProperty("downtimeMs")} ms");
        Assert.Equal("completed", report.GetProperty("status").GetString());
        // 64 MiB at 4 MB/s cannot finish within the 10 s timeout; forced, it went on to switch over
        // (with abort it is canceled at 10 s, as the test above shows).
        Assert.True(took > TimeSpan.FromSeconds(10), $"done in {took.TotalSeconds:0.0} s, before the timeout");
        AssertGoesOnAt(n1, to);
    }

    /// <summary>
    /// Two nodes whose migrations are capped at 4 MB/s with the given on-timeout and a completion
    /// timeout of <paramref name="timeoutPerGiB"/> per GiB (at least 10 s: 10 s with the default
    /// for the 96 MiB guest), running VM a (a 64 MiB soak region).
    /// </summary>
    private static Pair SlowPair(TempDir dir, PostgresServer postgres, string onTimeout, string timeoutPerGiB = "60s")
    {
        string config = dir.File("node.conf");
        File.WriteAllText(config, $"""
            tern.cluster.manager.migration.max-bandwidth = 4000000
            tern.cluster.manager.migration.completion-timeout-per-gib = {timeoutPerGiB}
            tern.cluster.manager.migration.on-timeout = {onTimeout}
            """);
        int[] ports = [ClusterNode.FreePort(), ClusterNode.FreePort()];
        Array.Sort(ports);
        var n1 = new ClusterNode(ports[0], "n1", dir.File("n1"), "--db", postgres.ConnectionString, "--config", config);
        var n2 = new ClusterNode(ports[1], "n2", dir.File("n2"), "--db", postgres.ConnectionString, "--config", config, "--seed", $"127.0.0.1:{n1.BindPort}");
        var pair = new Pair(n1, n2);
        try
        {
            n1.WaitFor(() => n1.CtlJson("hosts"), h => h.GetArrayLength() == 2 && h.EnumerateArray().All(x => x.GetProperty("load").ValueKind != JsonValueKind.Null),
                VmTimeout, "both hosts up and reporting");
            Assert.Equal(0, n1.Ctl("create", "a", "--kernel", Repo.TestKernel, "--append", "mode=soak mib=64 tick_ms=50 check_every=5", "--memory", "96M").ExitCode);
            n1.WaitFor(() => n1.VmState("a"), s => s == "running", VmTimeout, "a running");
            return pair;
        }
        catch
        {
            pair.Dispose();
            throw;
        }
    }

    private sealed record Pair(ClusterNode N1, ClusterNode N2) : IDisposable
    {
        public string From => HostOf(N1);
        public string To => From == "n1" ? "n2" : "n1";

        public void Dispose()
        {
            N2.Dispose();
            N1.Dispose();
        }
    }

    private static string HostOf(ClusterNode node) =>
        node.CtlJson("vms").EnumerateArray().Single().GetProperty("host").GetString()!;

    /// <summary>GET /v1/vms/a/migration; status "none" while a has not begun one (404).</summary>
    private static JsonElement Migration(ClusterNode node)
    {
        using var http = node.Http();
        var response = http.GetAsync("/v1/vms/a/migration").Result;
        string text = response.StatusCode == System.Net.HttpStatusCode.NotFound
            ? "{\"status\":\"none\"}"
            : response.EnsureSuccessStatusCode().Content.ReadAsStringAsync().Result;
        return JsonDocument.Parse(text).RootElement;
    }

    /// <summary>The VM is on <paramref name="host"/>, running, and its guest counts on from where it was with no failed check.</summary>
    private static void AssertGoesOnAt(ClusterNode node, string host)
    {
        node.WaitFor(() => node.CtlJson("vms").EnumerateArray().Single(), v => v.GetProperty("state").GetString() == "running", VmTimeout, "a running");
        Assert.Equal(host, HostOf(node));
        int last = node.LastTick("a");
        var lines = node.WaitFor(() => node.ConsoleLines("a"), l => TestKernel.Ticks(l).DefaultIfEmpty(0).Max() >= last + 10, VmTimeout, "a ticking on");
        Assert.DoesNotContain(lines, l => l.Contains("BAD", StringComparison.Ordinal));
        var ticks = TestKernel.Ticks(lines);
        Assert.Equal(Enumerable.Range(ticks[0], ticks.Count), ticks);
    }
}

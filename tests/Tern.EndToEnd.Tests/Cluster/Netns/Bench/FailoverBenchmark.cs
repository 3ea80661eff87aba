using Tern.EndToEnd.Tests.Support;
using Tern.TestSupport.Results;
using Xunit.Abstractions;

namespace Tern.EndToEnd.Tests.Cluster.Netns.Bench;

/// <summary>
/// Issue 18's failover benchmark on three namespaced hosts: SIGKILL of every process of a protected
/// VM's host -> its guest ticking on the standby (rounds with the manager's host surviving, then
/// rounds where the manager dies with the primary), against Tern's own cold failover of the same
/// guest unprotected, measured in the same run. Each protected round asserts the guest went on
/// without a reboot: the issue's 20 kills in a row (not in ./test.sh: under the whole suite's load
/// a kill soon after the last victim rejoined is two faults for keep-majority, which then removed
/// the rejoining host as well).
/// </summary>
public sealed class FailoverBenchmark(ITestOutputHelper output)
{
    private static readonly TimeSpan VmTimeout = TimeSpan.FromSeconds(90);
    /// <summary>Between two kills, the cluster downs and removes the last victim's old incarnation.</summary>
    private static readonly TimeSpan ClusterSettles = TimeSpan.FromSeconds(10);

    [FailoverBenchmarkFact]
    public void Protected_failover_against_cold_failover()
    {
        int rounds = int.TryParse(Environment.GetEnvironmentVariable("TERN_FAILOVER_BENCH_ROUNDS"), out var r) ? r : 20;
        int managerRounds = int.TryParse(Environment.GetEnvironmentVariable("TERN_FAILOVER_BENCH_MANAGER_ROUNDS"), out var m) ? m : 3;
        var started = DateTime.UtcNow;
        var figures = new FailoverFigures();
        using (var cluster = new NetnsCluster(3))
        {
            var h1 = cluster[1];
            var guest = SoakGuest.CreateAllOn(cluster, cluster[2], ["p"], VmTimeout);
            try
            {
                Assert.Equal(0, h1.Ctl("drain", "h1").ExitCode); // h1 keeps the manager and the follower
                Assert.Equal(0, h1.Ctl("protect", "p").ExitCode);
                for (int round = 1; round <= rounds; round++) figures.Protected.Add(ProtectedRound(cluster, guest[0], round));
                Assert.Equal(0, h1.Ctl("unprotect", "p").ExitCode);
                for (int round = 1; round <= Math.Max(1, rounds / 3); round++) figures.Cold.Add(ColdRound(cluster, guest[0], round));
            }
            catch
            {
                output.WriteLine($"the manager's events:\n{string.Join("\n", h1.Ctl("events").Stdout.TakeLast(60))}\n{cluster.Describe()}");
                throw;
            }
            finally
            {
                guest[0].Dispose();
            }
        }
        for (int round = 1; round <= managerRounds; round++) figures.WithManager.Add(ManagerRound(round));
        string section = figures.Render(started);
        ResultsFile.ReplaceSection(Environment.GetEnvironmentVariable(FailoverBenchmarkFactAttribute.ResultsVariable)!, FailoverFigures.Heading, section);
        output.WriteLine(section);
    }

    /// <summary>And the restarted victim becomes a full member (a kill while a host still joins is two faults for keep-majority).</summary>
    private static readonly TimeSpan JoinSettles = TimeSpan.FromSeconds(8);

    private DateTime _lastKill = DateTime.MinValue;
    private DateTime _lastRestart = DateTime.MinValue;

    private void Settle()
    {
        var wait = new[] { ClusterSettles - (DateTime.UtcNow - _lastKill), JoinSettles - (DateTime.UtcNow - _lastRestart) }.Max();
        if (wait > TimeSpan.Zero) Thread.Sleep(wait);
    }

    private void Restart(NamespacedNode node)
    {
        node.Restart();
        _lastRestart = DateTime.UtcNow;
    }

    /// <summary>Protected, settled: kills the primary's host whole; the time until the follower sees a tick the dead primary never released.</summary>
    private (double Follower, double Running) ProtectedRound(NetnsCluster cluster, SoakGuest guest, int round)
    {
        var h1 = cluster[1];
        NetnsCluster.WaitFor(() => h1.CtlJson("vms").EnumerateArray().Single().GetProperty("protection"),
            p => p.ValueKind == System.Text.Json.JsonValueKind.Object && p.GetProperty("state").GetString() == "protected", VmTimeout, $"p protected (round {round})");
        Settle();
        string primary = NetnsCluster.Vms(h1)["p"].Host!;
        int lastTick = guest.LastTick;
        var killedAt = _lastKill = DateTime.UtcNow;
        cluster.Node(primary).KillWhole();
        NetnsCluster.WaitFor(() => guest.LastTick, t => t > lastTick || guest.Incarnation(1).Count > 0, VmTimeout, $"p ticking after kill {round}", pollMs: 20);
        Assert.True(guest.Incarnation(1).Count == 0, $"p booted again after kill {round}:\n{string.Join("\n", h1.Ctl("events").Stdout.TakeLast(30))}");
        var first = guest.Incarnation(0).First(l => TestKernel.Ticks([l.Line]) is [var n] && n > lastTick && l.At > killedAt);
        Assert.Empty(guest.Incarnation(1));
        double seconds = (first.At - killedAt).TotalSeconds;
        double running = (RunningAgainAt(h1, killedAt) - killedAt).TotalSeconds;
        output.WriteLine($"protected round {round}: {primary} killed -> running on the standby {running * 1000:0} ms, ticking at the follower {seconds * 1000:0} ms");
        Restart(cluster.Node(primary));
        return (seconds, running);
    }

    /// <summary>When the manager's event log says the VM ran again after <paramref name="after"/> (the promoted standby's VmStarted; same machine, same clock).</summary>
    private static DateTime RunningAgainAt(NamespacedNode via, DateTime after) =>
        NetnsCluster.WaitFor(() => via.Ctl("events").Stdout
                .Select(l => l.Trim().Split(' ', 4))
                .Where(f => f.Length == 4 && f[3].StartsWith("vm p running on ", StringComparison.Ordinal))
                .Select(f => DateTime.Parse($"{f[1]} {f[2]}", System.Globalization.CultureInfo.InvariantCulture, System.Globalization.DateTimeStyles.AdjustToUniversal | System.Globalization.DateTimeStyles.AssumeUniversal))
                .Where(t => t > after).DefaultIfEmpty().Min(),
            t => t != default, VmTimeout, "the manager's record of p running again");

    /// <summary>Unprotected: kills its host whole; the time until the guest, booted again elsewhere, printed TICK 1.</summary>
    private double ColdRound(NetnsCluster cluster, SoakGuest guest, int round)
    {
        var h1 = cluster[1];
        Settle();
        NetnsCluster.WaitFor(() => NetnsCluster.Hosts(h1), h => h.Values.All(s => s != "down"), VmTimeout, "every host back");
        string primary = NetnsCluster.Vms(h1)["p"].Host!;
        int incarnation = Enumerable.Range(0, 100).First(i => guest.Incarnation(i).Count == 0) - 1;
        var killedAt = _lastKill = DateTime.UtcNow;
        cluster.Node(primary).KillWhole();
        double seconds = (guest.WaitHealthy(incarnation + 1, VmTimeout) - killedAt).TotalSeconds;
        output.WriteLine($"cold round {round}: {primary} killed -> rebooted guest's TICK 1 at {seconds:0.0} s");
        Restart(cluster.Node(primary));
        return seconds;
    }

    /// <summary>A fresh cluster: the guest on h1, the manager's host, protected on h2; h1 killed whole; the time until h2's console shows it ticking.</summary>
    private double ManagerRound(int round)
    {
        using var cluster = new NetnsCluster(3);
        var (h1, h2) = (cluster[1], cluster[2]);
        var guest = SoakGuest.CreateAllOn(cluster, h1, ["p"], VmTimeout).Single();
        try
        {
            Assert.Equal(0, h2.Ctl("protect", "p", "--standby", "h2").ExitCode);
            NetnsCluster.WaitFor(() => h2.CtlJson("vms").EnumerateArray().Single().GetProperty("protection").GetProperty("state").GetString(),
                s => s == "protected", VmTimeout, "p protected");
            int lastTick = guest.LastTick;
            var killedAt = DateTime.UtcNow;
            h1.KillWhole();
            NetnsCluster.WaitFor(() => h2.ConsoleLines("p"), l => TestKernel.Ticks(l).DefaultIfEmpty(0).Max() > lastTick + 1, VmTimeout, "p ticking on h2", pollMs: 50);
            double seconds = (DateTime.UtcNow - killedAt).TotalSeconds;
            output.WriteLine($"manager round {round}: h1 (manager, primary) killed -> p ticking on h2 within {seconds:0.0} s");
            return seconds;
        }
        finally
        {
            guest.Dispose();
        }
    }
}

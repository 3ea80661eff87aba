using System.Globalization;
using Tern.EndToEnd.Tests.Support;
using Xunit.Abstractions;

namespace Tern.EndToEnd.Tests.Cluster.Netns;

/// <summary>
/// Acceptance 5 of the cluster: a host driven above the overload threshold sheds VMs by live
/// migration until it is below, and no VM moves twice in the hysteresis window.
/// </summary>
[Collection(AloneCollection.Name)] // it measures its guests' CPU use: other tests beside it would skew the load
public sealed class OverloadTests(ITestOutputHelper output)
{
    private static readonly TimeSpan VmTimeout = TimeSpan.FromSeconds(60);

    /// <summary>Each hot guest spins this share of every 100 ms tick and halts for the rest.</summary>
    private const int BusyPercent = 40;

    /// <summary>Each poll starts a <c>tern ctl</c> process, whose start-up competes with the guests for the CPUs.</summary>
    private const int Poll = 1000;

    /// <summary>
    /// The three nodes share this machine, so each reports the CPU demand of its own vCPU threads
    /// over the machine's CPUs (load-source = vms). In units of one hot guest's nominal load g: a
    /// guest measures about g, since its spinning counts whether it ran or waited for a CPU, so
    /// other load on the machine does not hide it. Three on a host are above high-load (2.2g);
    /// shedding goes on to target-load (1.5g), which two guests exceed and one does not, so two of
    /// them leave, one to each of the other hosts, which then stay below the target with one each.
    /// The marks leave a guest between 0.75g and 1.5g.
    /// </summary>
    private static double GuestLoad => BusyPercent / 100.0 / Environment.ProcessorCount;
    private static double HighLoad => 2.2 * GuestLoad;
    private static double TargetLoad => 1.5 * GuestLoad;

    private static string NodeConfig()
    {
        return string.Create(CultureInfo.InvariantCulture, $$"""
            tern.host.load-source = vms
            tern.cluster.manager.overload {
              high-load = {{HighLoad:0.####}}
              target-load = {{TargetLoad:0.####}}
              sustain-for = 3s
              move-cooldown = 10m
            }
            """);
    }

    [NetnsFact]
    public void A_host_above_the_threshold_sheds_vms_until_it_is_below_and_none_moves_twice()
    {
        using var cluster = new NetnsCluster(3, NodeConfig());
        var (h1, hot) = (cluster[1], new[] { "hot1", "hot2", "hot3" });
        var followers = new List<TernProcess>();
        try
        {
            // The three hot guests start on h1 while the others are drained (nowhere to shed to).
            foreach (var host in new[] { "h2", "h3" }) Assert.Equal(0, h1.Ctl("drain", host).ExitCode);
            foreach (var name in hot)
            {
                var created = h1.Ctl("create", name, "--kernel", Repo.TestKernel, "--append", $"mode=ticks tick_ms=100 busy={BusyPercent}",
                    "--memory", "64M", "--smp", "1");
                Assert.True(created.ExitCode == 0, created.Output);
                followers.Add(h1.Start([.. h1.CtlPrefix, "console", name, "--follow"]));
            }
            NetnsCluster.WaitFor(() => NetnsCluster.Vms(h1), v => hot.All(n => v[n] == ("h1", "running")), VmTimeout, "the hot guests running on h1", Poll);
            double gatheredLoad = NetnsCluster.WaitFor(() => HostLoad(h1, "h1"), load => load > HighLoad, TimeSpan.FromSeconds(20), "h1 above the high load", Poll);
            output.WriteLine($"three hot guests on h1: load {gatheredLoad / GuestLoad:0.00}g");

            long gatheredAfter = LastEvent(h1);
            var gathered = DateTime.UtcNow;
            foreach (var host in new[] { "h2", "h3" }) Assert.Equal(0, h1.Ctl("undrain", host).ExitCode);

            // h1 sheds two of them, one to each other host, and is then below the target.
            var spread = NetnsCluster.WaitFor(() => NetnsCluster.Vms(h1),
                v => hot.Select(n => v[n].Host).Distinct().Count() == 3 && hot.All(n => v[n].State == "running"),
                TimeSpan.FromSeconds(90), "the hot guests spread over the three hosts", Poll);
            output.WriteLine($"room elsewhere -> spread over three hosts: {(DateTime.UtcNow - gathered).TotalSeconds:0.0} s");
            var overload = Events(h1, gatheredAfter).Where(e => e.Contains("overloaded: moving", StringComparison.Ordinal)).ToArray();
            output.WriteLine(string.Join("\n", overload));
            Assert.Equal(2, overload.Length);
            Assert.All(overload, e => Assert.StartsWith("host h1 overloaded: moving vm hot", e));

            double shedLoad = NetnsCluster.WaitFor(() => HostLoad(h1, "h1"), load => load < TargetLoad, TimeSpan.FromSeconds(20), "h1 below the target load", Poll);
            output.WriteLine($"one hot guest left on h1: load {shedLoad / GuestLoad:0.00}g");

            // The hysteresis window: nothing moves again, though each host now carries a hot guest.
            Thread.Sleep(TimeSpan.FromSeconds(12));
            var after = NetnsCluster.Vms(h1);
            Assert.All(hot, name => Assert.Equal(spread[name].Host, after[name].Host));
            var moves = Events(h1, gatheredAfter).Where(e => e.Contains(" moved ", StringComparison.Ordinal)).ToArray();
            output.WriteLine(string.Join("\n", moves));
            Assert.Equal(2, moves.Length);
            Assert.Equal(2, moves.Select(e => e.Split(' ')[1]).Distinct().Count());

            // Every guest ticked on through its move, never restarted.
            foreach (var (name, follower) in hot.Zip(followers))
            {
                NetnsCluster.WaitFor(() => TestKernel.Ticks(follower.Stdout).Count, n => n >= 10, VmTimeout, $"{name} followed");
                TestKernel.AssertTicksContinue(follower.Stdout, $"{name}, followed through its moves", gaps: 0);
            }
        }
        catch (Exception e) when (e is not Xunit.Sdk.XunitException)
        {
            throw new InvalidOperationException($"{e.Message}\n{cluster.Describe()}", e);
        }
        finally
        {
            foreach (var f in followers) f.Dispose();
        }
    }

    private static double HostLoad(NamespacedNode via, string host) =>
        via.CtlJson("hosts").EnumerateArray().Single(h => h.GetProperty("name").GetString() == host)
            .GetProperty("load").GetProperty("cpuLoad").GetDouble();

    private static long LastEvent(NamespacedNode via) =>
        via.CtlJson("events").EnumerateArray().Select(e => e.GetProperty("sequence").GetInt64()).DefaultIfEmpty(0).Max();

    private static string[] Events(NamespacedNode via, long after) =>
        via.CtlJson("events").EnumerateArray().Where(e => e.GetProperty("sequence").GetInt64() > after)
            .Select(e => e.GetProperty("text").GetString()!).ToArray();
}

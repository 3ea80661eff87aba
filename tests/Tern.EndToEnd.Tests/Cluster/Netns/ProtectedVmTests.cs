using System.Text.Json;
using Tern.EndToEnd.Tests.Net;
using Tern.EndToEnd.Tests.Support;
using Tern.TestSupport.Net;
using Xunit.Abstractions;

namespace Tern.EndToEnd.Tests.Cluster.Netns;

/// <summary>
/// Issue 18 on a real cluster: three hosts in network namespaces with a PostgreSQL journal; h1
/// holds the manager. A protected soak guest (its memory region checked, its disk log written,
/// ticking) keeps a standby on another host, checkpointed every epoch; the test follows its console
/// from outside, through the cluster, as a user would.
/// </summary>
[Collection(AloneCollection.Name)]
public sealed class ProtectedVmTests(ITestOutputHelper output)
{
    private static readonly TimeSpan VmTimeout = TimeSpan.FromSeconds(60);

    /// <summary>The protection of <paramref name="vm"/> as <c>ctl vms --json</c> through <paramref name="via"/> shows it (state "off" when none).</summary>
    private static (string State, string? Standby, JsonElement Json) Protection(NamespacedNode via, string vm)
    {
        var view = via.CtlJson("vms").EnumerateArray().Single(v => v.GetProperty("name").GetString() == vm);
        if (!view.TryGetProperty("protection", out var p) || p.ValueKind != JsonValueKind.Object) return ("off", null, view);
        return (p.GetProperty("state").GetString()!, p.GetProperty("standby").ValueKind == JsonValueKind.String ? p.GetProperty("standby").GetString() : null, p);
    }

    /// <summary>
    /// A cluster of <paramref name="hosts"/> hosts with the soak guest p on host <paramref name="home"/>
    /// (the others drained while it is created); runs <paramref name="test"/>, and on a failure prints
    /// the manager's events (through host <paramref name="reader"/>, one that survives the test) and
    /// every node's output.
    /// </summary>
    private void WithGuest(int hosts, int home, Action<NetnsCluster, SoakGuest> test, int reader = 1)
    {
        using var cluster = new NetnsCluster(hosts);
        var guest = SoakGuest.CreateAllOn(cluster, cluster[home], ["p"], VmTimeout).Single();
        try
        {
            test(cluster, guest);
        }
        catch
        {
            var events = cluster[reader].Ctl("events");
            output.WriteLine($"the manager's events:\n{string.Join("\n", events.Stdout.TakeLast(60))}\n{cluster.Describe()}");
            throw;
        }
        finally
        {
            guest.Dispose();
        }
    }

    [NetnsFact]
    public void A_protected_guest_goes_on_on_its_standby_when_its_host_dies_whole_without_a_reboot_a_repeat_or_a_gap()
    {
        WithGuest(3, 2, (cluster, guest) =>
        {
            var (h1, h2) = (cluster[1], cluster[2]);
            var synced = ProtectAndWait(h1, "--standby", "h3", "--epoch", "50ms");
            Assert.Equal("h3", synced.Standby);
            // Protected, the guest still runs and its output still reaches the follower.
            int protectedAt = guest.LastTick;
            NetnsCluster.WaitFor(() => guest.LastTick, t => t >= protectedAt + 20, VmTimeout, "ticks while protected");
            var figures = Protection(h1, "p").Json;
            output.WriteLine($"protected: {figures}");
            Assert.True(figures.GetProperty("committedEpoch").GetInt64() > 0, figures.ToString());

            int lastTickBefore = guest.LastTick;
            var killedAt = DateTime.UtcNow;
            h2.KillWhole();

            var after = NetnsCluster.WaitFor(() => NetnsCluster.Vms(h1)["p"], v => v is { Host: "h3", State: "running" }, VmTimeout, "p running on h3");
            guest.AssertWentOnAfterMove(h1, lastTickBefore, VmTimeout);
            var firstNew = guest.Incarnation(0).Select(l => (l.At, Ticks: TestKernel.Ticks([l.Line])))
                .First(l => l.Ticks.Count == 1 && l.Ticks[0] > lastTickBefore && l.At > killedAt);
            output.WriteLine($"SIGKILL of h2 (whole) -> p ticking on h3: {(firstNew.At - killedAt).TotalMilliseconds:0} ms (TICK {firstNew.Ticks[0]}, the follower polls every 300 ms)");
            output.WriteLine(string.Join("\n", h1.Ctl("events").Stdout.TakeLast(10)));
            Assert.Equal("h3", after.Host);
            // It runs on the standby's own copy of its disk, made beside the image during the sync
            // and brought up to date by every committed checkpoint: each disk write the world saw is there.
            string copy = DiskOf(h1, "p");
            Assert.Matches(@"/p\.standby\d+\.0\.img$", copy);
            Assert.Equal(Path.GetDirectoryName(guest.Disk), Path.GetDirectoryName(copy));
            TestKernel.AssertDiskLogOn(File.ReadAllBytes(copy), guest.Incarnation(0).Select(l => l.Line));
            // Its standby is gone with the promotion; h1 is the only host left for a new one, which copies the copy.
            var again = NetnsCluster.WaitFor(() => Protection(h1, "p"), p => p.State == "protected", VmTimeout, "p protected again");
            Assert.Equal("h1", again.Standby);
            Assert.Equal(copy, DiskOf(h1, "p"));
            Assert.Equal(2, Directory.GetFiles(Path.GetDirectoryName(copy)!, "p.standby*.img").Length);
        });
    }

    /// <summary>The path of <paramref name="vm"/>'s disk in its definition, as <c>ctl vms --json</c> shows it.</summary>
    private static string DiskOf(NamespacedNode via, string vm) =>
        via.CtlJson("vms").EnumerateArray().Single(v => v.GetProperty("name").GetString() == vm)
            .GetProperty("definition").GetProperty("disks").EnumerateArray().Single().GetProperty("path").GetString()!;


    /// <summary>Protects p through <paramref name="via"/> (ctl protect with <paramref name="options"/>) and waits until its standby is synced.</summary>
    /// <remarks>Asked again while refused: on a loaded machine the failure detector may find the standby's host unreachable for a moment, and a refusal changes nothing.</remarks>
    private static (string State, string? Standby, JsonElement Json) ProtectAndWait(NamespacedNode via, params string[] options)
    {
        NetnsCluster.WaitFor(() => via.Ctl(["protect", "p", .. options]), r => r.ExitCode == 0, VmTimeout, "ctl protect accepted", pollMs: 1000);
        return NetnsCluster.WaitFor(() => Protection(via, "p"), p => p.State == "protected", VmTimeout, "p protected");
    }

    /// <summary>Guest memory the host says its instances hold (standbys included), from <c>ctl hosts --json</c>.</summary>
    private static ulong Committed(NamespacedNode via, string host) =>
        via.CtlJson("hosts").EnumerateArray().Single(h => h.GetProperty("name").GetString() == host).GetProperty("load").GetProperty("guestCommittedBytes").GetUInt64();

    [NetnsFact]
    public void Killing_the_standby_s_host_leaves_the_primary_running_and_a_third_host_takes_the_next_standby()
    {
        WithGuest(3, 2, (cluster, guest) =>
        {
            var (h1, h2) = (cluster[1], cluster[2]);
            ProtectAndWait(h1, "--standby", "h3");
            int lastTickBefore = guest.LastTick;
            cluster[3].KillWhole();

            var again = NetnsCluster.WaitFor(() => Protection(h1, "p"), p => p is { State: "protected", Standby: "h1" }, VmTimeout, "p protected again on h1");
            Assert.Equal("h2", NetnsCluster.Vms(h1)["p"].Host);
            // The primary never stopped for good and never rebooted: the same instance goes on.
            guest.AssertWentOnAfterMove(h1, lastTickBefore, VmTimeout);
            var arrivals = guest.Incarnation(0).Where(l => TestKernel.Ticks([l.Line]).Count == 1).Select(l => l.At).ToArray();
            var stall = arrivals.Zip(arrivals.Skip(1), (a, b) => b - a).Max();
            output.WriteLine($"standby's host killed: longest wait between two ticks at the follower {stall.TotalMilliseconds:0} ms; {again.Json}");
            output.WriteLine(string.Join("\n", h1.Ctl("events").Stdout.TakeLast(8)));
        });
    }

    [NetnsFact]
    public void Protect_is_refused_cleanly_without_room_and_unprotect_stop_and_delete_leave_no_standby()
    {
        WithGuest(2, 2, (cluster, guest) =>
        {
            var (h1, h2) = (cluster[1], cluster[2]);
            // No host but its own to take the standby: refused by name, nothing changed.
            Assert.Equal(0, h1.Ctl("drain", "h1").ExitCode);
            var none = h1.Ctl("protect", "p");
            Assert.NotEqual(0, none.ExitCode);
            Assert.Contains("no host but h2 to take vm p's standby; nothing changed", none.Output);
            Assert.Equal(0, h1.Ctl("undrain", "h1").ExitCode);
            var own = h1.Ctl("protect", "p", "--standby", "h2");
            Assert.NotEqual(0, own.ExitCode);
            Assert.Contains("its standby must be on another host", own.Output);
            var epoch = h1.Ctl("protect", "p", "--epoch", "5ms");
            Assert.NotEqual(0, epoch.ExitCode);
            Assert.Contains("--epoch", epoch.Output);
            Assert.Equal("off", Protection(h1, "p").State);
            Assert.Equal(0UL, Committed(h1, "h1"));

            Assert.Equal(0, h1.Ctl("protect", "p", "--epoch", "25ms").ExitCode);
            var synced = NetnsCluster.WaitFor(() => Protection(h1, "p"), p => p.State == "protected", VmTimeout, "p protected");
            Assert.Equal(25, synced.Json.GetProperty("epochMs").GetInt32());
            NetnsCluster.WaitFor(() => Committed(h1, "h1"), c => c == 64UL << 20, VmTimeout, "h1 holding p's standby");

            // Unprotected: the standby goes, the guest runs on where it was.
            int lastTickBefore = guest.LastTick;
            Assert.Equal(0, h1.Ctl("unprotect", "p").ExitCode);
            Assert.Equal("off", Protection(h1, "p").State);
            NetnsCluster.WaitFor(() => Committed(h1, "h1"), c => c == 0, VmTimeout, "h1 rid of p's standby");
            guest.AssertWentOnAfterMove(h1, lastTickBefore, VmTimeout);
            Assert.Equal("h2", NetnsCluster.Vms(h1)["p"].Host);

            // Stopped while protected: primary and standby both go; started again, it is protected again.
            Assert.Equal(0, h1.Ctl("protect", "p").ExitCode);
            NetnsCluster.WaitFor(() => Protection(h1, "p"), p => p.State == "protected", VmTimeout, "p protected");
            Assert.Equal(0, h1.Ctl("stop", "p").ExitCode);
            NetnsCluster.WaitFor(() => NetnsCluster.Vms(h1)["p"].State, s => s == "stopped", VmTimeout, "p stopped");
            NetnsCluster.WaitFor(() => Committed(h1, "h1") + Committed(h1, "h2"), c => c == 0, VmTimeout, "no instance of p anywhere");
            Assert.Equal("degraded", Protection(h1, "p").State);
            Assert.Equal(0, h1.Ctl("start", "p").ExitCode);
            var restarted = NetnsCluster.WaitFor(() => Protection(h1, "p"), p => p.State == "protected", VmTimeout, "p protected after its start");
            Assert.NotEqual(NetnsCluster.Vms(h1)["p"].Host, restarted.Standby);

            // Deleted: stopped first, then forgotten with its protection.
            Assert.NotEqual(0, h1.Ctl("delete", "p").ExitCode);
            Assert.Equal(0, h1.Ctl("stop", "p").ExitCode);
            NetnsCluster.WaitFor(() => NetnsCluster.Vms(h1)["p"].State, s => s == "stopped", VmTimeout, "p stopped");
            Assert.Equal(0, h1.Ctl("delete", "p").ExitCode);
            Assert.Empty(NetnsCluster.Vms(h1));
            NetnsCluster.WaitFor(() => Committed(h1, "h1") + Committed(h1, "h2"), c => c == 0, VmTimeout, "nothing left running");
        });
    }

    [NetnsFact]
    public void A_protected_vm_live_migrates_and_its_standby_s_host_drains_with_one_running_copy_throughout()
    {
        WithGuest(3, 2, (cluster, guest) =>
        {
            var (h1, h2) = (cluster[1], cluster[2]);
            ProtectAndWait(h1, "--standby", "h3");

            // Live migration: the replication ends first, the guest moves, a standby is synced for its new instance.
            int lastTickBefore = guest.LastTick;
            var migrated = h1.Ctl(TimeSpan.FromSeconds(120), "migrate", "p", "--to", "h1");
            Assert.True(migrated.ExitCode == 0, migrated.Output);
            Assert.Equal("h1", NetnsCluster.Vms(h1)["p"].Host);
            var after = NetnsCluster.WaitFor(() => Protection(h1, "p"), p => p.State == "protected", VmTimeout, "p protected after its migration");
            Assert.NotEqual("h1", after.Standby);
            guest.AssertWentOnAfterMove(h1, lastTickBefore, VmTimeout);

            // The standby's host drained: the standby moves to the other host; the primary stays put.
            lastTickBefore = guest.LastTick;
            string other = after.Standby == "h2" ? "h3" : "h2";
            Assert.Equal(0, h1.Ctl("drain", after.Standby!).ExitCode);
            var moved = NetnsCluster.WaitFor(() => Protection(h1, "p"), p => p is { State: "protected" } && p.Standby == other, VmTimeout, $"p's standby on {other}");
            NetnsCluster.WaitFor(() => Committed(h1, after.Standby!), c => c == 0, VmTimeout, $"{after.Standby} rid of p's standby");
            Assert.Equal("h1", NetnsCluster.Vms(h1)["p"].Host);
            guest.AssertWentOnAfterMove(h1, lastTickBefore, VmTimeout);
            output.WriteLine(string.Join("\n", h1.Ctl("events").Stdout.TakeLast(14)));
        });
    }

    [NetnsFact]
    public void A_primary_cut_off_stops_its_guest_and_the_standby_takes_over_and_the_healed_host_never_runs_it_again()
    {
        WithGuest(3, 2, (cluster, guest) =>
        {
            var (h1, h2) = (cluster[1], cluster[2]);
            ProtectAndWait(h1, "--standby", "h3");
            int lastTickBefore = guest.LastTick;
            var cutAt = DateTime.UtcNow;
            cluster.Network.CutOff(2);

            NetnsCluster.WaitFor(() => NetnsCluster.Vms(h1)["p"], v => v is { Host: "h3", State: "running" }, VmTimeout, "p running on h3");
            // What the outside saw never went back: one instance, ticks without a repeat or a gap.
            guest.AssertWentOnAfterMove(h1, lastTickBefore, VmTimeout);
            var firstNew = guest.Incarnation(0).First(l => TestKernel.Ticks([l.Line]) is [var n] && n > lastTickBefore && l.At > cutAt);
            output.WriteLine($"h2 cut off -> p ticking on h3: {(firstNew.At - cutAt).TotalSeconds:0.0} s (the split brain resolver's decision first)");

            cluster.Network.Reconnect(2);
            NetnsCluster.WaitFor(() => h2.Process.HasExited, exited => exited, VmTimeout, "h2 ending itself once downed");
            h2.Restart();
            NetnsCluster.WaitFor(() => NetnsCluster.Hosts(h1), h => h.Values.All(s => s == "up"), VmTimeout, "h2 up again");
            Thread.Sleep(2000); // time for a stale copy to show up, if one were to
            Assert.Equal("h3", NetnsCluster.Vms(h1)["p"].Host);
            Assert.Empty(guest.Incarnation(1));
            TestKernel.AssertTicksContinue(guest.Incarnation(0).Select(l => l.Line).ToArray(), $"p followed across the cut:\n{guest.Describe()}", gaps: 0);
            output.WriteLine(string.Join("\n", h1.Ctl("events").Stdout.TakeLast(12)));
        });
    }

    [NetnsFact]
    public void A_network_client_never_gets_a_counter_twice_or_out_of_order_across_a_failover()
    {
        using var cluster = new NetnsCluster(3);
        using var lan = new GuestLan(cluster.Network);
        var (h1, h2) = (cluster[1], cluster[2]);
        try
        {
            // On h2 (the others drained meanwhile), protected with its standby on h3.
            Assert.Equal(0, h1.Ctl("drain", "h1").ExitCode);
            Assert.Equal(0, h1.Ctl("drain", "h3").ExitCode);
            var created = h1.Ctl("create", "c1", "--kernel", Repo.TestKernel, "--append", "mode=net net=counter", "--memory", "64M", "--smp", "1",
                "--nic", $"bridge={GuestLan.Bridge}");
            Assert.True(created.ExitCode == 0, created.Output);
            Assert.Equal(0, h1.Ctl("undrain", "h1").ExitCode);
            Assert.Equal(0, h1.Ctl("undrain", "h3").ExitCode);
            Assert.Equal(0, h1.Ctl("protect", "c1", "--standby", "h3").ExitCode);
            var view = NetnsCluster.WaitFor(() => h1.CtlJson("vms").EnumerateArray().Single(v => v.GetProperty("name").GetString() == "c1"),
                v => v.GetProperty("state").GetString() == "running", VmTimeout, "c1 running");
            Assert.Equal("h2", view.GetProperty("host").GetString());
            var mac = TestFrames.ParseMac(view.GetProperty("definition").GetProperty("nics").EnumerateArray().Single().GetProperty("mac").GetString()!);
            NetnsCluster.WaitFor(() => h1.ConsoleLines("c1"), l => l.Contains("NET counter ready"), VmTimeout, "the counter guest ready");
            NetnsCluster.WaitFor(() => Protection(h1, "c1"), p => p is { State: "protected", Standby: "h3" }, VmTimeout, "c1 protected");

            using var client = new CounterClient(lan, mac);
            for (int i = 0; i < 20; i++) Assert.True(client.Ask(), $"no reply to request {client.Sent} while protected");

            using var stop = new CancellationTokenSource();
            var asking = Task.Run(() => { while (!stop.IsCancellationRequested) client.Ask(); });
            Thread.Sleep(500);
            var killedAt = DateTime.UtcNow;
            h2.KillWhole();
            NetnsCluster.WaitFor(() => client.Replies().Count(r => r.At > killedAt), n => n >= 20, VmTimeout, "20 replies from the guest after the kill");
            stop.Cancel();
            asking.Wait();
            Thread.Sleep(CounterClient.ReplyWait);

            Assert.Equal("h3", NetnsCluster.Vms(h1)["c1"].Host);
            var seen = client.Replies();
            var longest = seen.Zip(seen.Skip(1), (a, b) => b.At - a.At).Max();
            output.WriteLine($"{client.Sent} requests, {seen.Length} replies, counter {seen[0].Counter}..{seen[^1].Counter}; " +
                $"longest wait between two replies around the kill {longest.TotalMilliseconds:0} ms");
            // Only what a committed checkpoint produced ever left: the standby's counter goes on from the last reply seen.
            client.AssertCounterGoesOn("across the failover");
            Assert.Contains(client.Station.Log, e => e.At > killedAt && TestFrames.Type(e.Frame) == TestFrames.Rarp && e.Frame.AsSpan(6, 6).SequenceEqual(mac));
            Assert.Single(h1.ConsoleLines("c1"), l => l.Contains("NET counter ready"));
        }
        catch (Exception e) when (e is not Xunit.Sdk.XunitException)
        {
            throw new InvalidOperationException($"{e.Message}\n{string.Join("\n", h1.Ctl("events").Stdout)}\n{cluster.Describe()}", e);
        }
    }

    [NetnsFact]
    public void When_the_manager_dies_with_the_primary_the_standby_takes_over_once_the_manager_is_back()
    {
        WithGuest(3, 1, (cluster, guest) =>
        {
            var (h1, h2) = (cluster[1], cluster[2]);
            // On h1, the manager's host.
            ProtectAndWait(h2, "--standby", "h2");
            int lastTickBefore = guest.LastTick;
            var killedAt = DateTime.UtcNow;
            h1.KillWhole();

            // The follower ran on h1 and died with it: read the console through h2 from now on.
            var lines = NetnsCluster.WaitFor(() => h2.ConsoleLines("p"), l => TestKernel.Ticks(l).DefaultIfEmpty(0).Max() > lastTickBefore + 10, VmTimeout, "p ticking on h2");
            var took = DateTime.UtcNow - killedAt;
            Assert.Equal("h2", NetnsCluster.Vms(h2)["p"].Host);
            Assert.True(lines.Count(l => l.StartsWith("SOAK filled", StringComparison.Ordinal)) <= 1, $"p booted again:\n{string.Join("\n", lines)}");
            TestKernel.AssertTicksContinue(lines, $"p on h2:\n{string.Join("\n", lines)}", gaps: 0);
            Assert.DoesNotContain(lines, l => l.Contains(" BAD", StringComparison.Ordinal));
            output.WriteLine($"SIGKILL of h1 (whole, with the manager) -> p ticking on h2, as its console through h2 shows: within {took.TotalSeconds:0.0} s");
            output.WriteLine(string.Join("\n", h2.Ctl("events").Stdout.TakeLast(10)));
        }, reader: 2);
    }
}

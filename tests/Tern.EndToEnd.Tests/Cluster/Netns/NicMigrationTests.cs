using System.Buffers.Binary;
using Tern.EndToEnd.Tests.Net;
using Tern.EndToEnd.Tests.Support;
using Tern.TestSupport.Net;
using Xunit.Abstractions;

namespace Tern.EndToEnd.Tests.Cluster.Netns;

/// <summary>
/// Cluster VMs with network cards (issue 18): a VM created with <c>--nic bridge=br0</c> runs the
/// test kernel's counter (tests/guest/README.md, net=counter) on a TAP its host made on its bridge;
/// a client on the segment every host's bridge joins (<see cref="GuestLan"/>) sends requests to
/// the guest's MAC and gets replies carrying a counter kept in guest memory. Live-migrated to the
/// other host, the guest keeps answering from the same MAC with the counter going on — no value
/// twice, none skipped, since only replies count — which needs its memory to have come along and
/// its MAC announced on the new host (the client's bridge would otherwise go on sending to the old
/// host). The source host's TAP is gone afterwards.
/// </summary>
public sealed class NicMigrationTests(ITestOutputHelper output)
{
    private static readonly TimeSpan VmTimeout = TimeSpan.FromSeconds(60);

    [NetnsFact]
    public void A_guest_keeps_its_mac_and_its_counter_across_a_live_migration_between_hosts()
    {
        using var cluster = new NetnsCluster(2);
        using var lan = new GuestLan(cluster.Network);
        var h1 = cluster[1];
        try
        {
            var created = h1.Ctl("create", "c1", "--kernel", Repo.TestKernel, "--append", "mode=net net=counter", "--memory", "64M", "--smp", "1",
                "--nic", $"bridge={GuestLan.Bridge}");
            Assert.True(created.ExitCode == 0, created.Output);
            var view = NetnsCluster.WaitFor(() => h1.CtlJson("vms").EnumerateArray().Single(v => v.GetProperty("name").GetString() == "c1"),
                v => v.GetProperty("state").GetString() == "running", VmTimeout, "c1 running");
            string from = view.GetProperty("host").GetString()!;
            var nic = view.GetProperty("definition").GetProperty("nics").EnumerateArray().Single();
            Assert.Equal(GuestLan.Bridge, nic.GetProperty("bridge").GetString());
            string macText = nic.GetProperty("mac").GetString()!;
            Assert.Contains($"nic 0 mac {macText}", created.Output);
            var mac = TestFrames.ParseMac(macText);
            NetnsCluster.WaitFor(() => h1.ConsoleLines("c1"), l => l.Contains("NET counter ready"), VmTimeout, "the counter guest ready");
            Assert.Contains(h1.ConsoleLines("c1"), l => l.Contains($"mac={macText} link=up"));

            int source = int.Parse(from[1..]), target = 3 - source;
            var tap = Assert.Single(lan.Taps(source));
            Assert.NotEqual("-1", tap.Value); // owned by the VM process's user
            Assert.Empty(lan.Taps(target));

            using var client = new CounterClient(lan, mac);
            for (int i = 0; i < 20; i++) Assert.True(client.Ask(), $"no reply to request {client.Sent} before the migration\n{cluster.Describe()}");

            // Requests go on while the VM moves; some may be lost at the switch-over, none answered twice.
            using var stop = new CancellationTokenSource();
            var asking = Task.Run(() => { while (!stop.IsCancellationRequested) client.Ask(); });
            var migrated = h1.Ctl(TimeSpan.FromSeconds(120), "migrate", "c1", "--to", $"h{target}");
            var movedAt = DateTime.UtcNow;
            Assert.True(migrated.ExitCode == 0, $"{migrated.Output}\n{cluster.Describe()}");
            Assert.Equal($"h{target}", NetnsCluster.Vms(h1)["c1"].Host);
            NetnsCluster.WaitFor(() => client.Replies().Count(r => r.At > movedAt), n => n >= 20, VmTimeout, "20 replies from the guest on its new host");
            stop.Cancel();
            asking.Wait();
            Thread.Sleep(CounterClient.ReplyWait); // the last request's reply

            var seen = client.Replies();
            output.WriteLine($"{client.Sent} requests, {seen.Length} replies, counter {seen[0].Counter}..{seen[^1].Counter}, moved {from} -> h{target}");
            // The counter in guest memory went on: each reply one more than the last, across the move.
            client.AssertCounterGoesOn(cluster.Describe());
            Assert.True(seen.Length - 20 >= 20, $"only {seen.Length - 20} replies during and after the move");

            // The destination announced the MAC on its segment (what made the client's requests find it).
            Assert.Contains(client.Station.Log, e => TestFrames.Type(e.Frame) == TestFrames.Rarp && e.Frame.AsSpan(6, 6).SequenceEqual(mac));
            // The guest did not boot again: its console carries on and says ready once.
            Assert.Single(h1.ConsoleLines("c1"), l => l.Contains("NET counter ready"));
            // The TAP moved too: one on the target's bridge, none left on the source's.
            Assert.Single(lan.Taps(target));
            NetnsCluster.WaitFor(() => lan.Taps(source), t => t.Count == 0, VmTimeout, $"the TAP gone from h{source}");
        }
        catch (Exception e) when (e is not Xunit.Sdk.XunitException)
        {
            throw new InvalidOperationException($"{e.Message}\n{cluster.Describe()}", e);
        }
    }
}

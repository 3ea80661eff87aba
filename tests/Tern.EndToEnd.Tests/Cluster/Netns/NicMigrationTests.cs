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
    private static readonly TimeSpan ReplyWait = TimeSpan.FromMilliseconds(300);
    private const ushort CounterType = 0x88b7;

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

            using var client = new FrameCollector(lan.Client(), "client");
            bool IsReply(byte[] f) => TestFrames.Type(f) == CounterType && f.AsSpan(6, 6).SequenceEqual(mac) && f.AsSpan(14, 4).SequenceEqual("TNET"u8);
            // Every reply the client received, in arrival order, late ones included.
            (uint Seq, ulong Counter, DateTime At)[] Replies() => client.Log.Where(e => IsReply(e.Frame))
                .Select(e => (BinaryPrimitives.ReadUInt32LittleEndian(e.Frame.AsSpan(18)), BinaryPrimitives.ReadUInt64LittleEndian(e.Frame.AsSpan(22)), e.At)).ToArray();
            uint seq = 0;
            bool Ask()
            {
                seq++;
                client.Send(TestFrames.Build(mac, lan.ClientMac, TestFrames.Data, seq, 64));
                return client.Next(f => IsReply(f) && BinaryPrimitives.ReadUInt32LittleEndian(f.AsSpan(18)) == seq, ReplyWait) is not null;
            }
            for (int i = 0; i < 20; i++) Assert.True(Ask(), $"no reply to request {seq} before the migration\n{cluster.Describe()}");

            // Requests go on while the VM moves; some may be lost at the switch-over, none answered twice.
            using var stop = new CancellationTokenSource();
            var asking = Task.Run(() => { while (!stop.IsCancellationRequested) Ask(); });
            var migrated = h1.Ctl(TimeSpan.FromSeconds(120), "migrate", "c1", "--to", $"h{target}");
            var movedAt = DateTime.UtcNow;
            Assert.True(migrated.ExitCode == 0, $"{migrated.Output}\n{cluster.Describe()}");
            Assert.Equal($"h{target}", NetnsCluster.Vms(h1)["c1"].Host);
            NetnsCluster.WaitFor(() => Replies().Count(r => r.At > movedAt), n => n >= 20, VmTimeout, "20 replies from the guest on its new host");
            stop.Cancel();
            asking.Wait();
            Thread.Sleep(ReplyWait); // the last request's reply

            var seen = Replies();
            output.WriteLine($"{seq} requests, {seen.Length} replies, counter {seen[0].Counter}..{seen[^1].Counter}, moved {from} -> h{target}");
            // The counter in guest memory went on: each reply one more than the last, across the move.
            for (int i = 1; i < seen.Length; i++)
                Assert.True(seen[i].Counter == seen[i - 1].Counter + 1,
                    $"reply to {seen[i].Seq} carries {seen[i].Counter} after {seen[i - 1].Counter} (request {seen[i - 1].Seq})\n{cluster.Describe()}");
            Assert.True(seen.Length - 20 >= 20, $"only {seen.Length - 20} replies during and after the move");

            // The destination announced the MAC on its segment (what made the client's requests find it).
            Assert.Contains(client.Log, e => TestFrames.Type(e.Frame) == TestFrames.Rarp && e.Frame.AsSpan(6, 6).SequenceEqual(mac));
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

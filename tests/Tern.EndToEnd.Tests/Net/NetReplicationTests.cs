using System.Buffers.Binary;
using System.Diagnostics;
using System.Text.Json.Nodes;
using Tern.EndToEnd.Tests.Support;
using Tern.TestSupport.Net;
using Tern.TestSupport.Qmp;
using Xunit.Abstractions;
using static Tern.EndToEnd.Tests.Migration.MigrationVm;
using static Tern.EndToEnd.Tests.Net.NetVm;

namespace Tern.EndToEnd.Tests.Net;

/// <summary>
/// Issue 18, acceptance 2, standalone: a client asks a replicated guest for a counter kept in its
/// memory. The primary lets a reply out only once the checkpoint that produced it is committed, so
/// when the primary is killed and the standby takes over, the client never sees a counter value
/// twice or out of order, and the service goes on from the standby's TAP.
/// </summary>
public sealed class NetReplicationTests(ITestOutputHelper output) : IDisposable
{
    private const string Counter = "mode=net net=counter";
    private const ushort CounterType = 0x88b7;
    private static readonly TimeSpan ReplyWait = TimeSpan.FromMilliseconds(300);
    private readonly TempDir _dir = new();
    private readonly TapInterface _primaryTap = TapInterface.Create();
    private readonly TapInterface _standbyTap = TapInterface.Create();

    public void Dispose()
    {
        _primaryTap.Dispose();
        _standbyTap.Dispose();
        _dir.Dispose();
    }

    private static bool IsReply(byte[] f) =>
        TestFrames.Type(f) == CounterType && TestFrames.Source(f).SequenceEqual(MacBytes) && f.AsSpan(14, 4).SequenceEqual("TNET"u8);

    private static (uint Seq, ulong Counter) Reply(byte[] f) =>
        (BinaryPrimitives.ReadUInt32LittleEndian(f.AsSpan(18)), BinaryPrimitives.ReadUInt64LittleEndian(f.AsSpan(22)));

    [NetFact]
    public void Across_a_takeover_the_client_never_sees_a_counter_twice_or_out_of_order()
    {
        using var onPrimary = new FrameCollector(_primaryTap);
        using var onStandby = new FrameCollector(_standbyTap);
        string uri = UnixUri(_dir);
        using var primary = Source(Counter, "128M", NicArgs(_primaryTap.Name));
        using var standby = Destination(Counter, "128M", NicArgs(_standbyTap.Name), uri);
        primary.Process.WaitForLine(l => l.Contains("NET counter ready"), Wait);

        uint seq = 0;
        var latencies = new List<double>();
        bool Ask(FrameCollector via)
        {
            uint mine = ++seq;
            var asked = Stopwatch.StartNew();
            via.Send(TestFrames.Build(MacBytes, TestFrames.HostMac, TestFrames.Data, mine, 64));
            bool answered = via.Next(f => IsReply(f) && Reply(f).Seq == mine, ReplyWait) is not null;
            if (answered) latencies.Add(asked.Elapsed.TotalMilliseconds);
            return answered;
        }
        for (int i = 0; i < 10; i++) Assert.True(Ask(onPrimary), primary.Process.Describe());
        double plain = latencies.Order().ElementAt(latencies.Count / 2);

        using var p = primary.Connect();
        using var s = standby.Connect();
        SetColo(s);
        SetColo(p);
        p.Return("migrate-set-parameters", new JsonObject { ["x-checkpoint-delay"] = 50 });
        p.Return("migrate", new JsonObject { ["uri"] = uri });
        WaitCheckpoints(p, c => (long?)c["committed"] >= 5);

        latencies.Clear();
        for (int i = 0; i < 20; i++) Ask(onPrimary);
        Assert.True(latencies.Count >= 15, $"only {latencies.Count} of 20 requests answered while protected");
        double held = latencies.Order().ElementAt(latencies.Count / 2);
        output.WriteLine($"request-reply median: {plain:0.0} ms unprotected, {held:0.0} ms protected (50 ms epochs)");

        // Requests keep coming while the primary dies; the standby takes over and answers on its own TAP.
        using var stop = new CancellationTokenSource();
        var asking = Task.Run(() => { while (!stop.IsCancellationRequested) Ask(onPrimary); });
        Thread.Sleep(300);
        primary.Process.KillAlone();
        stop.Cancel();
        asking.Wait();
        s.Return("x-colo-lost-heartbeat");
        int afterTakeover = 0;
        for (int i = 0; i < 40 && afterTakeover < 20; i++)
            if (Ask(onStandby)) afterTakeover++;
        Assert.True(afterTakeover >= 20, $"{afterTakeover} replies from the standby\n{standby.Process.Describe()}");

        var seen = onPrimary.Log.Concat(onStandby.Log).Where(e => IsReply(e.Frame)).OrderBy(e => e.At).Select(e => Reply(e.Frame)).ToArray();
        output.WriteLine($"{seq} requests, {seen.Length} replies, counter {seen[0].Counter}..{seen[^1].Counter}");
        for (int i = 1; i < seen.Length; i++)
            Assert.True(seen[i].Counter > seen[i - 1].Counter,
                $"reply to {seen[i].Seq} carries counter {seen[i].Counter} after {seen[i - 1].Counter} (request {seen[i - 1].Seq})");
        Assert.Single(standby.Process.Stdout.Concat(primary.Process.Stdout), l => l.Contains("NET counter ready")); // no second boot
    }
}

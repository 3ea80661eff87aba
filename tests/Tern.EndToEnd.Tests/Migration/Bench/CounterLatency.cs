using System.Buffers.Binary;
using System.Diagnostics;
using Tern.EndToEnd.Tests.Net;
using Tern.TestSupport.Net;

namespace Tern.EndToEnd.Tests.Migration.Bench;

/// <summary>
/// The request-reply latency a network client sees from the test kernel's counter guest
/// (tests/guest/README.md, net=counter) on a TAP: each request waits for its own reply.
/// </summary>
public static class CounterLatency
{
    private const ushort CounterType = 0x88b7;
    private static readonly TimeSpan ReplyWait = TimeSpan.FromMilliseconds(500);

    /// <summary>The median of <paramref name="requests"/> request-reply times, in ms; a request left unanswered counts as the wait.</summary>
    public static double Median(FrameCollector via, ref uint seq, int requests)
    {
        var times = new List<double>();
        for (int i = 0; i < requests; i++)
        {
            uint mine = ++seq;
            var asked = Stopwatch.StartNew();
            via.Send(TestFrames.Build(NetVm.MacBytes, TestFrames.HostMac, TestFrames.Data, mine, 64));
            via.Next(f => IsReplyTo(f, mine), ReplyWait);
            times.Add(asked.Elapsed.TotalMilliseconds);
        }
        times.Sort();
        return times[times.Count / 2];
    }

    private static bool IsReplyTo(byte[] f, uint seq) =>
        TestFrames.Type(f) == CounterType && TestFrames.Source(f).SequenceEqual(NetVm.MacBytes) && f.AsSpan(14, 4).SequenceEqual("TNET"u8)
        && BinaryPrimitives.ReadUInt32LittleEndian(f.AsSpan(18)) == seq;
}

using System.Buffers.Binary;
using Tern.EndToEnd.Tests.Net;
using Tern.TestSupport.Net;

namespace Tern.EndToEnd.Tests.Cluster.Netns;

/// <summary>
/// The network client of the test kernel's counter (tests/guest/README.md, net=counter), on the
/// <see cref="GuestLan"/>'s client station: each request carries a sequence number to the guest's
/// MAC, each reply that number and the counter kept in guest memory. Every frame the station
/// receives is kept, late replies included.
/// </summary>
public sealed class CounterClient(GuestLan lan, byte[] guestMac) : IDisposable
{
    /// <summary>How long <see cref="Ask"/> waits for its reply.</summary>
    public static readonly TimeSpan ReplyWait = TimeSpan.FromMilliseconds(300);
    private const ushort CounterType = 0x88b7;

    private uint _seq;

    /// <summary>Everything the client station received, with arrival times.</summary>
    public FrameCollector Station { get; } = new(lan.Client(), "client");

    /// <summary>Requests sent so far.</summary>
    public uint Sent => _seq;

    private bool IsReply(byte[] f) => TestFrames.Type(f) == CounterType && f.AsSpan(6, 6).SequenceEqual(guestMac) && f.AsSpan(14, 4).SequenceEqual("TNET"u8);

    /// <summary>Every reply received, in arrival order.</summary>
    public (uint Seq, ulong Counter, DateTime At)[] Replies() => Station.Log.Where(e => IsReply(e.Frame))
        .Select(e => (BinaryPrimitives.ReadUInt32LittleEndian(e.Frame.AsSpan(18)), BinaryPrimitives.ReadUInt64LittleEndian(e.Frame.AsSpan(22)), e.At)).ToArray();

    /// <summary>Sends the next request; true when its reply came within <see cref="ReplyWait"/>.</summary>
    public bool Ask()
    {
        uint seq = ++_seq;
        Station.Send(TestFrames.Build(guestMac, lan.ClientMac, TestFrames.Data, seq, 64));
        return Station.Next(f => IsReply(f) && BinaryPrimitives.ReadUInt32LittleEndian(f.AsSpan(18)) == seq, ReplyWait) is not null;
    }

    /// <summary>
    /// Each reply's counter is above the one before it (nothing answered twice, none out of order)
    /// by at most the requests sent between them: a request whose reply was lost (its checkpoint
    /// committed, the primary killed before releasing it) still counted, as after any lost frame.
    /// </summary>
    public void AssertCounterGoesOn(string what)
    {
        var seen = Replies();
        for (int i = 1; i < seen.Length; i++)
            Assert.True(seen[i].Counter > seen[i - 1].Counter && seen[i].Counter - seen[i - 1].Counter <= seen[i].Seq - seen[i - 1].Seq,
                $"reply to {seen[i].Seq} carries {seen[i].Counter} after {seen[i - 1].Counter} (request {seen[i - 1].Seq})\n{what}");
    }

    public void Dispose() => Station.Dispose();
}

using System.Text;
using Tern.Devices.Board;
using Tern.Devices.Tests.Legacy;

namespace Tern.Devices.Tests.Board;

/// <summary>Issue 18's output commit on the serial console: output is let out only by the checkpoint that produced it.</summary>
public sealed class HeldConsoleTests
{
    private static string Text(RecordingSink sink) => Encoding.ASCII.GetString(sink.Bytes.ToArray());

    [Fact]
    public void Output_of_an_epoch_goes_out_only_when_its_checkpoint_is_committed()
    {
        var sink = new RecordingSink();
        var console = new HeldConsole(sink, null);
        console.Write("boot "u8);
        Assert.Equal("boot ", Text(sink)); // not replicated yet: straight through

        console.Begin(1); // checkpoint 0 taken
        console.Write("one "u8);
        console.Begin(2); // checkpoint 1 taken
        console.Write("two "u8);
        console.Begin(3);
        console.Write("three"u8);
        Assert.Equal("boot ", Text(sink));

        console.Release(1);
        Assert.Equal("boot one ", Text(sink));
        console.Release(1); // again: nothing more
        console.Release(2);
        Assert.Equal("boot one two ", Text(sink));
        console.ReleaseAll(); // the replication ended with the guest here
        Assert.Equal("boot one two three", Text(sink));
        console.Write("!"u8);
        Assert.Equal("boot one two three!", Text(sink));
    }

    [Fact]
    public void A_fenced_guest_s_held_output_never_goes_out()
    {
        var sink = new RecordingSink();
        var console = new HeldConsole(sink, null);
        console.Begin(1);
        console.Write("after checkpoint 0"u8);
        console.Discard();
        console.Release(5);
        Assert.Empty(sink.Bytes);
    }

    [Fact]
    public void Its_history_includes_held_output_so_a_checkpoint_carries_everything_up_to_its_capture()
    {
        var ring = new RingHistory();
        var console = new HeldConsole(ring, ring);
        console.Write("out "u8);
        console.Begin(1);
        console.Write("held"u8);
        var (written, tail) = console.Snapshot();
        Assert.Equal(8, written);
        Assert.Equal("out held", Encoding.ASCII.GetString(tail));
        Assert.Equal("out ", Encoding.ASCII.GetString(ring.Bytes.ToArray())); // the world sees only the released part
    }

    /// <summary>A sink that keeps everything, as the console ring does.</summary>
    private sealed class RingHistory : Tern.Devices.Legacy.Serial.ISerialSink, IConsoleHistory
    {
        public List<byte> Bytes { get; } = [];

        public void Write(ReadOnlySpan<byte> bytes) => Bytes.AddRange(bytes.ToArray());

        public (long Written, byte[] Tail) Snapshot() => (Bytes.Count, Bytes.ToArray());

        public void Continue(long written, ReadOnlySpan<byte> tail) => throw new NotSupportedException();
    }
}

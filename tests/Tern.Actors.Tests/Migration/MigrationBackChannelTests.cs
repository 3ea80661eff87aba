using System.Buffers.Binary;
using System.Text;
using Tern.Actors.Migration.Engine.Wire;

namespace Tern.Actors.Tests.Migration;

public sealed class MigrationBackChannelTests
{
    public static TheoryData<MigrationReply> Replies => [new MigrationReply.Ack(0), new MigrationReply.Ack(uint.MaxValue),
        new MigrationReply.Error("device at pcie.0 addr 0x2: virtio-blk-pci on the source, nothing here"), new MigrationReply.Error(""),
        MigrationReply.Done.Instance];

    [Theory]
    [MemberData(nameof(Replies))]
    public async Task Every_reply_round_trips_sync_and_async(MigrationReply reply)
    {
        var bytes = new MemoryStream();
        MigrationBackChannel.Write(bytes, reply);
        await MigrationBackChannel.WriteAsync(bytes, reply);
        bytes.Position = 0;
        Assert.Equal(reply, MigrationBackChannel.Read(bytes));
        Assert.Equal(reply, await MigrationBackChannel.ReadAsync(bytes));
        Assert.Equal(bytes.Length, bytes.Position);
    }

    [Fact]
    public void Frames_are_magic_type_length_payload_crc()
    {
        byte[] frame = MigrationBackChannel.Encode(new MigrationReply.Ack(0x01020304));
        Assert.Equal("B7010400" + "04030201", Convert.ToHexString(frame[..8]));
        Assert.Equal(Crc32C.Compute(frame[..8]), BinaryPrimitives.ReadUInt32LittleEndian(frame.AsSpan(8)));
        Assert.Equal("B7030000", Convert.ToHexString(MigrationBackChannel.Encode(MigrationReply.Done.Instance)[..4]));
    }

    [Fact]
    public void A_long_error_is_cut_to_1024_bytes_without_splitting_a_character()
    {
        string text = "x" + new string('é', 2000); // 1 + 4000 bytes: a cut at 1024 would split a 'é'
        var bytes = new MemoryStream(MigrationBackChannel.Encode(new MigrationReply.Error(text)));
        var error = Assert.IsType<MigrationReply.Error>(MigrationBackChannel.Read(bytes));
        Assert.Equal(text[..512], error.Text);
    }

    private static byte[] Frame(byte magic, byte type, byte[] payload, uint? crc = null)
    {
        var frame = new byte[4 + payload.Length + 4];
        frame[0] = magic;
        frame[1] = type;
        BinaryPrimitives.WriteUInt16LittleEndian(frame.AsSpan(2), (ushort)payload.Length);
        payload.CopyTo(frame, 4);
        BinaryPrimitives.WriteUInt32LittleEndian(frame.AsSpan(4 + payload.Length), crc ?? Crc32C.Compute(frame.AsSpan(0, 4 + payload.Length)));
        return frame;
    }

    private static byte[] ErrorPayload(int declared, byte[] text) => [(byte)declared, (byte)(declared >> 8), .. text];

    public static TheoryData<string, string> Hostile => new()
    {
        { "", "back channel ended inside a back-channel frame" },
        { "B701", "back channel ended inside a back-channel frame" },
        { Convert.ToHexString(Frame(0xB6, 1, [0, 0, 0, 0])), "back-channel magic 0xb6 (expected 0xb7)" },
        { Convert.ToHexString(Frame(0xB7, 9, [])), "back-channel message type 0x09 unknown" },
        { Convert.ToHexString(Frame(0xB7, 1, [0, 0])), "back-channel Ack with a payload of 2 bytes" },
        { Convert.ToHexString(Frame(0xB7, 3, [0])), "back-channel Done with a payload of 1 bytes" },
        { Convert.ToHexString(Frame(0xB7, 2, [0])), "back-channel Error with a payload of 1 bytes" },
        { Convert.ToHexString(Frame(0xB7, 2, new byte[1027])), "back-channel Error with a payload of 1027 bytes" },
        { Convert.ToHexString(Frame(0xB7, 1, [1, 0, 0, 0], crc: 0)), $"back-channel Ack checksum 0x00000000 does not match its bytes (0x{Crc32C.Compute([0xB7, 1, 4, 0, 1, 0, 0, 0]):x8})" },
        { Convert.ToHexString(Frame(0xB7, 2, ErrorPayload(5, "abc"u8.ToArray()))), "back-channel Error text length 5 disagrees with its payload of 5 bytes" },
        { Convert.ToHexString(Frame(0xB7, 2, ErrorPayload(2, [0xC3, 0x28]))), "back-channel Error text is not UTF-8" },
        { Convert.ToHexString(Frame(0xB7, 1, [1, 0, 0, 0]))[..16], "back channel ended inside a back-channel Ack frame" },
    };

    [Theory]
    [MemberData(nameof(Hostile))]
    public async Task Hostile_frames_are_refused_with_their_fault(string hex, string message)
    {
        var bytes = Convert.FromHexString(hex);
        var e = Assert.Throws<MigrationStreamException>(() => MigrationBackChannel.Read(new MemoryStream(bytes)));
        Assert.Equal(message, e.Message, ignoreCase: true);
        var async = await Assert.ThrowsAsync<MigrationStreamException>(async () => await MigrationBackChannel.ReadAsync(new MemoryStream(bytes)));
        Assert.Equal(message, async.Message, ignoreCase: true);
    }

    [Fact]
    public void Random_frames_only_ever_fail_as_stream_faults()
    {
        var random = new Random(5);
        var valid = MigrationBackChannel.Encode(new MigrationReply.Error(Encoding.UTF8.GetString(new byte[40])));
        for (int n = 0; n < 5000; n++)
        {
            var damaged = (byte[])valid.Clone();
            damaged[random.Next(damaged.Length)] ^= (byte)random.Next(1, 256);
            Assert.Throws<MigrationStreamException>(() => MigrationBackChannel.Read(new MemoryStream(damaged)));
        }
    }
}

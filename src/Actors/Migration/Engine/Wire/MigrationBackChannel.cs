using System.Buffers.Binary;
using System.Text;
using System.Text.Unicode;

namespace Tern.Actors.Migration.Engine.Wire;

/// <summary>
/// A back-channel frame: the destination's answers to the stream, and the source's one frame after
/// it (see <see cref="MigrationBackChannel"/> for who sends which, and when).
/// </summary>
public abstract record MigrationReply
{
    private MigrationReply() { }

    /// <summary>
    /// Destination to source. <paramref name="Seq"/> 0: the header and Config were accepted (the
    /// fingerprints match); <see cref="MigrationStreamFormat.RestoredSeq"/>: End is applied, the
    /// state restored and the image locks taken; any other n: round n's pages are applied (sent
    /// after its RoundEnd; with multifd, the main socket's pages: the data channels' are applied
    /// by their own threads).
    /// </summary>
    public sealed record Ack(uint Seq) : MigrationReply;

    /// <summary>
    /// Either way; the text says why. From the destination: it refuses or failed and discards; the
    /// source keeps the VM. From the source, after Ack(RestoredSeq): the switch-over is refused or
    /// canceled; the destination lets go of the image locks and discards.
    /// </summary>
    public sealed record Error(string Text) : MigrationReply;

    /// <summary>
    /// Either way, once each. From the source, after Ack(RestoredSeq): the commit; the guest is the
    /// destination's from then on. From the destination, in answer: it took the guest (running
    /// again if it ran on the source).
    /// </summary>
    public sealed record Done : MigrationReply
    {
        public static readonly Done Instance = new();
    }

    /// <summary>
    /// Destination to source, in replication only: checkpoints up to <paramref name="Epoch"/> are
    /// applied on the standby (cumulative), so their output may go out.
    /// </summary>
    public sealed record Committed(ulong Epoch) : MigrationReply;
}

/// <summary>
/// The back channel: frames that are not stream sections, on the main socket. The destination
/// writes them against the stream's direction throughout: Ack, Error, Committed (replication), and its final Done. The
/// source writes exactly one, in the stream's direction, once the destination has answered End
/// with Ack(<see cref="MigrationStreamFormat.RestoredSeq"/>): Done to commit, or Error to refuse
/// or cancel the switch-over; the destination, past End, reads a frame there rather than a
/// section. The whole sequence is in <see cref="MigrationStreamFormat"/>.
/// Each message is one frame, little-endian:
/// <code>
/// magic u8 = 0xB7 | type u8 | payload length u16 | payload | crc u32
/// type 1 Ack     payload: seq u32                                    (4 bytes)
/// type 2 Error   payload: text length u16 | text (UTF-8, 0..1024 bytes)  (2 + text length)
/// type 3 Done    payload: none
/// type 4 Committed  payload: epoch u64                               (8 bytes)
/// </code>
/// <c>crc</c> is CRC32C of the frame from the magic to the end of the payload. Each side reads
/// the other's frames as untrusted: a wrong magic, an unknown type, a payload length that does not
/// fit the type, a bad crc, text that is not UTF-8, or the socket ending inside a frame throws
/// <see cref="MigrationStreamException"/>. Writers shorten an Error text to 1024 bytes at a
/// character boundary, so an error report never fails for being long.
/// </summary>
public static class MigrationBackChannel
{
    public const byte Magic = 0xB7;
    public const int MaxErrorTextBytes = 1024;
    private const int HeadBytes = 4;
    private const byte AckType = 1, ErrorType = 2, DoneType = 3, CommittedType = 4;

    public static byte[] Encode(MigrationReply reply)
    {
        byte[] text = reply is MigrationReply.Error e ? Shorten(e.Text) : [];
        int payload = reply switch
        {
            MigrationReply.Ack => 4,
            MigrationReply.Committed => 8,
            MigrationReply.Error => 2 + text.Length,
            _ => 0,
        };
        var frame = new byte[HeadBytes + payload + 4];
        frame[0] = Magic;
        frame[1] = reply switch
        {
            MigrationReply.Ack => AckType, MigrationReply.Error => ErrorType, MigrationReply.Committed => CommittedType, _ => DoneType,
        };
        BinaryPrimitives.WriteUInt16LittleEndian(frame.AsSpan(2), (ushort)payload);
        if (reply is MigrationReply.Ack ack) BinaryPrimitives.WriteUInt32LittleEndian(frame.AsSpan(HeadBytes), ack.Seq);
        if (reply is MigrationReply.Committed c) BinaryPrimitives.WriteUInt64LittleEndian(frame.AsSpan(HeadBytes), c.Epoch);
        if (reply is MigrationReply.Error)
        {
            BinaryPrimitives.WriteUInt16LittleEndian(frame.AsSpan(HeadBytes), (ushort)text.Length);
            text.CopyTo(frame.AsSpan(HeadBytes + 2));
        }
        BinaryPrimitives.WriteUInt32LittleEndian(frame.AsSpan(HeadBytes + payload), Crc32C.Compute(frame.AsSpan(0, HeadBytes + payload)));
        return frame;
    }

    public static void Write(Stream stream, MigrationReply reply)
    {
        stream.Write(Encode(reply));
        stream.Flush();
    }

    public static async ValueTask WriteAsync(Stream stream, MigrationReply reply, CancellationToken cancel = default)
    {
        await stream.WriteAsync(Encode(reply), cancel).ConfigureAwait(false);
        await stream.FlushAsync(cancel).ConfigureAwait(false);
    }

    public static MigrationReply Read(Stream stream)
    {
        var head = new byte[HeadBytes];
        Fill(stream, head, "a back-channel frame");
        var rest = new byte[PayloadLength(head) + 4];
        Fill(stream, rest, $"a back-channel {TypeName(head[1])} frame");
        return Decode(head, rest);
    }

    public static async ValueTask<MigrationReply> ReadAsync(Stream stream, CancellationToken cancel = default)
    {
        var head = new byte[HeadBytes];
        await FillAsync(stream, head, "a back-channel frame", cancel).ConfigureAwait(false);
        var rest = new byte[PayloadLength(head) + 4];
        await FillAsync(stream, rest, $"a back-channel {TypeName(head[1])} frame", cancel).ConfigureAwait(false);
        return Decode(head, rest);
    }

    /// <summary>Checks the frame head and returns the payload length it announces.</summary>
    private static int PayloadLength(ReadOnlySpan<byte> head)
    {
        if (head[0] != Magic) throw new MigrationStreamException($"back-channel magic 0x{head[0]:x2} (expected 0x{Magic:x2})");
        int length = BinaryPrimitives.ReadUInt16LittleEndian(head[2..]);
        bool fits = head[1] switch
        {
            AckType => length == 4,
            ErrorType => length is >= 2 and <= 2 + MaxErrorTextBytes,
            DoneType => length == 0,
            CommittedType => length == 8,
            _ => throw new MigrationStreamException($"back-channel message type 0x{head[1]:x2} unknown"),
        };
        if (!fits) throw new MigrationStreamException($"back-channel {TypeName(head[1])} with a payload of {length} bytes");
        return length;
    }

    private static MigrationReply Decode(ReadOnlySpan<byte> head, ReadOnlySpan<byte> rest)
    {
        var payload = rest[..^4];
        uint sent = BinaryPrimitives.ReadUInt32LittleEndian(rest[^4..]);
        uint computed = Crc32C.Finish(Crc32C.Append(Crc32C.Append(Crc32C.Start, head), payload));
        if (sent != computed) throw new MigrationStreamException($"back-channel {TypeName(head[1])} checksum 0x{sent:x8} does not match its bytes (0x{computed:x8})");
        switch (head[1])
        {
            case AckType:
                return new MigrationReply.Ack(BinaryPrimitives.ReadUInt32LittleEndian(payload));
            case CommittedType:
                return new MigrationReply.Committed(BinaryPrimitives.ReadUInt64LittleEndian(payload));
            case ErrorType:
                int textLength = BinaryPrimitives.ReadUInt16LittleEndian(payload);
                if (textLength != payload.Length - 2)
                    throw new MigrationStreamException($"back-channel Error text length {textLength} disagrees with its payload of {payload.Length} bytes");
                var text = payload[2..];
                if (!Utf8.IsValid(text)) throw new MigrationStreamException("back-channel Error text is not UTF-8");
                return new MigrationReply.Error(Encoding.UTF8.GetString(text));
            default:
                return MigrationReply.Done.Instance;
        }
    }

    private static string TypeName(byte type) => type switch
    {
        AckType => "Ack",
        ErrorType => "Error",
        DoneType => "Done",
        CommittedType => "Committed",
        _ => $"type 0x{type:x2}",
    };

    /// <summary>The UTF-8 of <paramref name="text"/>, cut to <see cref="MaxErrorTextBytes"/> without splitting a character.</summary>
    private static byte[] Shorten(string text)
    {
        byte[] bytes = Encoding.UTF8.GetBytes(text);
        if (bytes.Length <= MaxErrorTextBytes) return bytes;
        int cut = MaxErrorTextBytes;
        while (cut > 0 && (bytes[cut] & 0xC0) == 0x80) cut--; // back to the start of a character
        return bytes[..cut];
    }

    private static void Fill(Stream stream, byte[] into, string what)
    {
        try
        {
            stream.ReadExactly(into);
        }
        catch (EndOfStreamException)
        {
            throw new MigrationStreamException($"back channel ended inside {what}");
        }
        catch (IOException e)
        {
            throw new MigrationStreamException($"connection failed while reading {what}", e);
        }
    }

    private static async ValueTask FillAsync(Stream stream, byte[] into, string what, CancellationToken cancel)
    {
        try
        {
            await stream.ReadExactlyAsync(into, cancel).ConfigureAwait(false);
        }
        catch (EndOfStreamException)
        {
            throw new MigrationStreamException($"back channel ended inside {what}");
        }
        catch (IOException e)
        {
            throw new MigrationStreamException($"connection failed while reading {what}", e);
        }
    }
}

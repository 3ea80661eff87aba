using System.Buffers.Binary;
using Tern.Actors.Migration.Engine.Snapshot;
using Tern.Actors.Migration.Engine.Wire;

namespace Tern.Actors.Tests.Migration.Snapshot;

/// <summary>The snapshot header's encoding and every check the reader makes of it (SnapshotFormat's list, in order).</summary>
public sealed class SnapshotHeaderTests
{
    private const ulong Ram = 64UL << 20;
    private const ulong State = 12_345;
    private static readonly long FileBytes = SnapshotFormat.RamOffset + (long)Ram + (long)State;

    private static byte[] Good() => SnapshotFormat.EncodeHeader(Ram, State, 0xDEADBEEF);

    /// <summary>Changes a field and reseals the header, so that the check after the checksum is the one that fails.</summary>
    private static byte[] Resealed(Action<byte[]> change)
    {
        var h = Good();
        change(h);
        BinaryPrimitives.WriteUInt32LittleEndian(h.AsSpan(60), Crc32C.Compute(h.AsSpan(0, 60)));
        return h;
    }

    private static string Refusal(byte[] header, long fileBytes = -1, ulong ram = Ram) =>
        Assert.Throws<SnapshotException>(() => SnapshotFormat.DecodeHeader(header, fileBytes < 0 ? FileBytes : fileBytes, ram)).Message;

    [Fact]
    public void A_written_header_reads_back_with_where_the_state_is()
    {
        var (offset, bytes, crc) = SnapshotFormat.DecodeHeader(Good(), FileBytes, Ram);
        Assert.Equal(SnapshotFormat.RamOffset + (long)Ram, offset);
        Assert.Equal((long)State, bytes);
        Assert.Equal(0xDEADBEEFu, crc);
    }

    [Fact]
    public void Each_fault_is_named()
    {
        Assert.Contains("shorter than a snapshot header", Refusal(Good()[..10], fileBytes: 10));
        Assert.Contains("no header: the save did not finish", Refusal(new byte[SnapshotFormat.HeaderBytes]));
        Assert.Contains("not a Tern snapshot", Refusal(Resealed(h => h[0] = (byte)'X')));
        Assert.Contains("format version 2 unsupported", Refusal(Resealed(h => h[8] = 2)));
        Assert.Contains("header fields are wrong", Refusal(Resealed(h => h[17] = 0x20)));
        Assert.Contains("header's checksum does not match", Refusal(Good().Select((b, i) => i == 50 ? (byte)(b ^ 1) : b).ToArray()));
        Assert.Contains("guest RAM at offset", Refusal(Resealed(h => h[24] ^= 0x10)));
        Assert.Contains("this VM has 134217728 bytes (128 MiB)", Refusal(Good(), ram: Ram * 2));
        Assert.Contains("the state at offset", Refusal(Resealed(h => h[40] ^= 0x10)));
        Assert.Contains("outside 1..", Refusal(Resealed(h => BinaryPrimitives.WriteUInt64LittleEndian(h.AsSpan(48), 0))));
        Assert.Contains("truncated", Refusal(Good(), fileBytes: FileBytes - 1));
        Assert.Contains("something was appended", Refusal(Good(), fileBytes: FileBytes + 1));
    }
}

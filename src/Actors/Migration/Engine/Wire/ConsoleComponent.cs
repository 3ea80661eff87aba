using System.Buffers.Binary;

namespace Tern.Actors.Migration.Engine.Wire;

/// <summary>
/// The "vm/console" component: how many bytes the guest has printed in all and the newest of them
/// that its console keeps (<see cref="Tern.Devices.Board.IConsoleHistory"/>), so its output goes on
/// at the same offsets on the destination. Sent only by a source whose console keeps a history.
/// Layout: u64 little-endian total, then the tail's bytes.
/// </summary>
public static class ConsoleComponent
{
    public const string Id = "vm/console";
    public const uint Version = 1;

    /// <summary>The most a destination accepts (the cluster's console ring is 256 KiB by default).</summary>
    public const int MaxTailBytes = 4 << 20;

    public static byte[] Encode(long written, ReadOnlySpan<byte> tail)
    {
        var data = new byte[8 + tail.Length];
        BinaryPrimitives.WriteInt64LittleEndian(data, written);
        tail.CopyTo(data.AsSpan(8));
        return data;
    }

    public static (long Written, byte[] Tail) Decode(ReadOnlySpan<byte> data)
    {
        if (data.Length < 8) throw new MigrationStreamException($"{Id} state of {data.Length} bytes has no output count");
        long written = BinaryPrimitives.ReadInt64LittleEndian(data);
        int tail = data.Length - 8;
        if (tail > MaxTailBytes) throw new MigrationStreamException($"{Id} tail of {tail} bytes is over the {MaxTailBytes >> 20} MiB limit");
        if (written < tail) throw new MigrationStreamException($"{Id} tail of {tail} bytes is longer than the {written} bytes printed in all");
        return (written, data[8..].ToArray());
    }
}

using System.Buffers.Binary;
using Tern.Actors.Migration.Engine.Wire;

namespace Tern.TestSupport.Migration;

/// <summary>
/// Builds migration streams byte by byte, with correct checksums unless told otherwise, so that
/// a test can send exactly the hostile field it is about.
/// </summary>
public sealed class RawStream
{
    private readonly MemoryStream _bytes = new();

    public static byte[] ValidConfigJson => RoundTripFixtures.Fingerprint().ToJson();

    /// <summary>Header and a valid Config: what every stream starts with.</summary>
    public static RawStream Started() => new RawStream().Header().Section(MigrationSectionKind.Config, payload: ValidConfigJson);

    public RawStream Header(string magic = "TERN-MIG", uint version = 1)
    {
        _bytes.Write(System.Text.Encoding.ASCII.GetBytes(magic));
        Span<byte> v = stackalloc byte[4];
        BinaryPrimitives.WriteUInt32LittleEndian(v, version);
        _bytes.Write(v);
        return this;
    }

    public RawStream Section(MigrationSectionKind kind, byte[]? id = null, uint version = 1, byte[]? payload = null,
        ulong? declaredLength = null, uint? crc = null) =>
        RawSection((byte)kind, id, version, payload, declaredLength, crc);

    public RawStream RawSection(byte kind, byte[]? id = null, uint version = 1, byte[]? payload = null,
        ulong? declaredLength = null, uint? crc = null, int? idLength = null)
    {
        id ??= [];
        payload ??= [];
        var header = new byte[1 + 2 + id.Length + 4 + 8];
        header[0] = kind;
        BinaryPrimitives.WriteUInt16LittleEndian(header.AsSpan(1), (ushort)(idLength ?? id.Length));
        id.CopyTo(header, 3);
        BinaryPrimitives.WriteUInt32LittleEndian(header.AsSpan(3 + id.Length), version);
        BinaryPrimitives.WriteUInt64LittleEndian(header.AsSpan(7 + id.Length), declaredLength ?? (ulong)payload.Length);
        uint sum = crc ?? Crc32C.Finish(Crc32C.Append(Crc32C.Append(Crc32C.Start, header), payload));
        _bytes.Write(header);
        _bytes.Write(payload);
        Span<byte> c = stackalloc byte[4];
        BinaryPrimitives.WriteUInt32LittleEndian(c, sum);
        _bytes.Write(c);
        return this;
    }

    /// <summary>A Ram section: the table (with the real page checksums of <paramref name="data"/>), then the data.</summary>
    public RawStream Ram((ulong Gpa, ulong Length, byte Flags)[] ranges, byte[]? data = null, uint? count = null,
        Func<byte[], byte[]>? editTable = null)
    {
        data ??= [];
        var crcs = new uint[data.Length / 4096];
        Crc32C.Pages(data, crcs);
        var table = new byte[4 + ranges.Length * 17 + crcs.Length * 4];
        BinaryPrimitives.WriteUInt32LittleEndian(table, count ?? (uint)ranges.Length);
        for (int i = 0; i < ranges.Length; i++)
        {
            var e = table.AsSpan(4 + i * 17);
            BinaryPrimitives.WriteUInt64LittleEndian(e, ranges[i].Gpa);
            BinaryPrimitives.WriteUInt64LittleEndian(e[8..], ranges[i].Length);
            e[16] = ranges[i].Flags;
        }
        for (int i = 0; i < crcs.Length; i++)
            BinaryPrimitives.WriteUInt32LittleEndian(table.AsSpan(4 + ranges.Length * 17 + i * 4), crcs[i]);
        Section(MigrationSectionKind.Ram, payload: editTable is null ? table : editTable(table));
        return Bytes(data);
    }

    public RawStream RoundEnd(uint round, ulong pages)
    {
        var p = new byte[12];
        BinaryPrimitives.WriteUInt32LittleEndian(p, round);
        BinaryPrimitives.WriteUInt64LittleEndian(p.AsSpan(4), pages);
        return Section(MigrationSectionKind.RoundEnd, payload: p);
    }

    public RawStream End() => Section(MigrationSectionKind.End);

    /// <summary>A multifd Channel section: session id, data channel count, this socket's index.</summary>
    public RawStream Channel(Guid session, int count, int index)
    {
        var payload = new byte[MigrationStreamFormat.ChannelBytes];
        session.TryWriteBytes(payload);
        BinaryPrimitives.WriteUInt16LittleEndian(payload.AsSpan(16), (ushort)count);
        BinaryPrimitives.WriteUInt16LittleEndian(payload.AsSpan(18), (ushort)index);
        return Section(MigrationSectionKind.Channel, payload: payload);
    }

    public RawStream Bytes(ReadOnlySpan<byte> raw)
    {
        _bytes.Write(raw);
        return this;
    }

    public byte[] ToArray() => _bytes.ToArray();

    public MemoryStream Open() => new(ToArray(), writable: false);
}

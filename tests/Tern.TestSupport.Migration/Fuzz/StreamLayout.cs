using System.Buffers.Binary;
using System.Text;
using Tern.Actors.Migration.Engine.Wire;
using static Tern.Actors.Migration.Engine.Wire.MigrationStreamFormat;

namespace Tern.TestSupport.Migration.Fuzz;

/// <summary>Where one section of a valid stream lies, byte offsets from the stream's start.</summary>
public sealed record SectionSpan(MigrationSectionKind Kind, string Id, int Start, int HeaderLength, int PayloadLength, int DataLength)
{
    public int PayloadStart => Start + HeaderLength;
    public int CrcAt => PayloadStart + PayloadLength;
    /// <summary>Ram page data follows the crc.</summary>
    public int DataStart => CrcAt + CrcBytes;
    public int End => DataStart + DataLength;
    public int IdLengthAt => Start + 1;
    public int VersionAt => Start + 3 + Encoding.UTF8.GetByteCount(Id);
    public int PayloadLengthAt => VersionAt + 4;
}

/// <summary>
/// The sections of a valid recorded stream, found by walking it with the format's own rules, so the
/// mutator can aim at fields. <see cref="Trailer"/> is what follows End: the source's commit frame.
/// </summary>
public sealed class StreamLayout
{
    private StreamLayout(IReadOnlyList<SectionSpan> sections, int trailerStart, int length)
    {
        Sections = sections;
        TrailerStart = trailerStart;
        Length = length;
    }

    public IReadOnlyList<SectionSpan> Sections { get; }
    public int TrailerStart { get; }
    public int Length { get; }

    /// <summary>Every offset where a section (or the trailer) begins, and the stream's end.</summary>
    public IEnumerable<int> Boundaries => Sections.Select(s => s.Start).Append(TrailerStart).Append(Length).Prepend(0).Prepend(HeaderBytes);

    /// <summary>
    /// The layout of a stream whose framing (not its content) walks cleanly from the header to an End
    /// or Cancel section; null otherwise. Used on mutated streams to find a commit frame to hold back.
    /// </summary>
    public static StreamLayout? TryParse(byte[] stream)
    {
        try
        {
            return Parse(stream);
        }
        catch (Exception e) when (e is ArgumentOutOfRangeException or IndexOutOfRangeException or OverflowException)
        {
            return null;
        }
    }

    public static StreamLayout Parse(ReadOnlySpan<byte> stream)
    {
        var sections = new List<SectionSpan>();
        int at = HeaderBytes;
        while (true)
        {
            var kind = (MigrationSectionKind)stream[at];
            if (!Enum.IsDefined(kind)) throw new ArgumentOutOfRangeException(nameof(stream), $"section kind {kind} at {at}");
            int idLength = BinaryPrimitives.ReadUInt16LittleEndian(stream[(at + 1)..]);
            string id = Encoding.UTF8.GetString(stream.Slice(at + 3, idLength));
            int headerLength = 3 + idLength + 12;
            int payloadLength = checked((int)BinaryPrimitives.ReadUInt64LittleEndian(stream[(at + 3 + idLength + 4)..]));
            var payload = stream.Slice(at + headerLength, payloadLength);
            int data = kind == MigrationSectionKind.Ram ? DataBytes(payload) : 0;
            var section = new SectionSpan(kind, id, at, headerLength, payloadLength, data);
            sections.Add(section);
            at = section.End;
            if (at > stream.Length) throw new ArgumentOutOfRangeException(nameof(stream), "stream ends inside a section");
            if (kind is MigrationSectionKind.End or MigrationSectionKind.Cancel) return new StreamLayout(sections, at, stream.Length);
        }
    }

    /// <summary>The page data bytes a Ram table announces.</summary>
    public static int DataBytes(ReadOnlySpan<byte> table)
    {
        int count = checked((int)BinaryPrimitives.ReadUInt32LittleEndian(table));
        long data = 0;
        for (int i = 0; i < count; i++)
        {
            var entry = table.Slice(4 + i * RamRangeEntryBytes, RamRangeEntryBytes);
            if (entry[16] == RamFlagData) data = checked(data + (long)BinaryPrimitives.ReadUInt64LittleEndian(entry[8..]));
        }
        return checked((int)data);
    }
}

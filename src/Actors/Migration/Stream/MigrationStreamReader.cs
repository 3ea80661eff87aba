using System.Buffers.Binary;
using Tern.Devices.Config;
using Tern.Kvm.Memory;
using static Tern.Actors.Migration.Wire.MigrationStreamFormat;

namespace Tern.Actors.Migration.Wire;

/// <summary>
/// The destination side of the migration stream (format and checks in <see cref="MigrationStreamFormat"/>).
/// Pull one section at a time with <see cref="ReadNext"/>; Ram sections are applied to guest memory
/// before it returns. Every byte is hostile: anything wrong throws <see cref="MigrationStreamException"/>,
/// after which the reader is finished and the VM must be discarded (page data may already have
/// been written to guest memory). Not thread-safe.
/// </summary>
public sealed class MigrationStreamReader
{
    private enum Phase { Header, Config, Body, Finished }

    private readonly StreamInput _input;
    private readonly byte[] _header = new byte[MaxSectionHeaderBytes];
    private readonly byte[] _table = new byte[MaxRamTableBytes];
    private readonly RamSectionApplier _ram;
    private Phase _phase = Phase.Header;
    private uint _lastRound;
    private ulong _pagesSinceRoundEnd;

    /// <param name="unverified">Shared when several sockets carry one migration; a fresh ledger otherwise.</param>
    public MigrationStreamReader(Stream stream, GuestMemory memory, UnverifiedPages? unverified = null)
    {
        _input = new StreamInput(stream);
        Unverified = unverified ?? new UnverifiedPages(memory);
        _ram = new RamSectionApplier(memory, _input, Unverified);
    }

    public UnverifiedPages Unverified { get; }

    /// <summary>Every byte consumed so far.</summary>
    public long BytesRead => _input.Position;

    /// <summary>Everything the Ram sections carried so far.</summary>
    public RamTransferStats RamTotals { get; private set; }

    /// <summary>Reads (on the first call, after the stream header) and validates the next section.</summary>
    public MigrationSection ReadNext()
    {
        if (_phase == Phase.Finished) throw new InvalidOperationException("the migration stream has already ended or failed");
        var phase = _phase;
        _phase = Phase.Finished; // until this section has been read completely
        if (phase == Phase.Header)
        {
            ReadStreamHeader();
            phase = Phase.Config;
        }
        var section = ReadSection(phase);
        _phase = section is MigrationSection.End or MigrationSection.Cancel ? Phase.Finished : Phase.Body;
        return section;
    }

    private void ReadStreamHeader()
    {
        Span<byte> header = stackalloc byte[HeaderBytes];
        _input.ReadExactly(header, "the stream header");
        if (!header[..8].SequenceEqual(Magic))
            throw new MigrationStreamException($"bad magic 0x{Convert.ToHexString(header[..8])} (expected TERN-MIG)");
        uint version = BinaryPrimitives.ReadUInt32LittleEndian(header[8..]);
        if (version != FormatVersion)
            throw new MigrationStreamException($"stream format version {version} unsupported (this Tern reads {FormatVersion})");
    }

    private MigrationSection ReadSection(Phase phase)
    {
        if (_input.AtEnd("the next section")) throw new MigrationStreamException("stream ended before its End section");
        var h = _header.AsSpan();
        _input.ReadExactly(h[..3], "a section header");
        byte kindByte = h[0];
        if (!Enum.IsDefined((MigrationSectionKind)kindByte)) throw new MigrationStreamException($"section kind 0x{kindByte:x2} unknown");
        var kind = (MigrationSectionKind)kindByte;
        if (phase == Phase.Config && kind != MigrationSectionKind.Config) throw new MigrationStreamException($"{kind} section before the Config section");
        if (phase == Phase.Body && kind == MigrationSectionKind.Config) throw new MigrationStreamException("second Config section");

        int idLength = BinaryPrimitives.ReadUInt16LittleEndian(h[1..]);
        if (idLength > MaxComponentIdBytes)
            throw new MigrationStreamException($"{kind} section component id of {idLength} bytes is over the {MaxComponentIdBytes}-byte limit");
        int headerLength = 3 + idLength + 12;
        _input.ReadExactly(h[3..headerLength], $"the {kind} section header");
        var idBytes = h.Slice(3, idLength);
        uint version = BinaryPrimitives.ReadUInt32LittleEndian(h[(3 + idLength)..]);
        ulong payloadLength = BinaryPrimitives.ReadUInt64LittleEndian(h[(7 + idLength)..]);
        CheckPayloadLimit(kind, payloadLength);

        int length = (int)payloadLength;
        byte[] owned = kind is MigrationSectionKind.Config or MigrationSectionKind.State ? new byte[length] : _table;
        var payload = owned.AsSpan(0, length);
        _input.ReadExactly(payload, $"the {kind} section");
        Span<byte> crcBytes = stackalloc byte[CrcBytes];
        _input.ReadExactly(crcBytes, $"the {kind} section checksum");
        uint sent = BinaryPrimitives.ReadUInt32LittleEndian(crcBytes);
        uint computed = Crc32C.Finish(Crc32C.Append(Crc32C.Append(Crc32C.Start, h[..headerLength]), payload));
        if (sent != computed) throw new MigrationStreamException($"{kind} section checksum 0x{sent:x8} does not match its bytes (0x{computed:x8})");

        string id = CheckId(kind, idBytes);
        if (kind != MigrationSectionKind.State && version != SectionVersion)
            throw new MigrationStreamException($"{kind} section version {version} unsupported (expected {SectionVersion})");
        long sectionBytes = headerLength + length + CrcBytes;

        switch (kind)
        {
            case MigrationSectionKind.Config:
                return new MigrationSection.Config(DecodeFingerprint(payload));
            case MigrationSectionKind.State:
                return new MigrationSection.State(id, version, owned);
            case MigrationSectionKind.Ram:
                var stats = _ram.Apply(payload, sectionBytes);
                RamTotals += stats;
                _pagesSinceRoundEnd += stats.PagesSent;
                return new MigrationSection.RamApplied(stats);
            case MigrationSectionKind.RoundEnd:
                return RoundEnd(payload);
            case MigrationSectionKind.End:
                CheckAllVerified();
                return MigrationSection.End.Instance;
            default:
                return MigrationSection.Cancel.Instance;
        }
    }

    private static void CheckPayloadLimit(MigrationSectionKind kind, ulong length)
    {
        ulong limit = kind switch
        {
            MigrationSectionKind.Config => MaxConfigBytes,
            MigrationSectionKind.State => MaxStateBytes,
            MigrationSectionKind.Ram => MaxRamTableBytes,
            MigrationSectionKind.RoundEnd => RoundEndBytes,
            _ => 0,
        };
        if (length <= limit) return;
        if (limit == 0) throw new MigrationStreamException($"{kind} section has a payload of {length} bytes (expected none)");
        throw new MigrationStreamException($"{kind} payload of {length} bytes is over the {SizeText(limit)} limit");
    }

    private static string SizeText(ulong bytes) => bytes >= 1 << 20 ? $"{bytes >> 20} MiB" : $"{bytes}-byte";

    private static string CheckId(MigrationSectionKind kind, ReadOnlySpan<byte> idBytes)
    {
        if (kind != MigrationSectionKind.State)
        {
            if (idBytes.Length != 0)
                throw new MigrationStreamException($"{kind} section has a component id of {idBytes.Length} bytes (expected none)");
            return "";
        }
        if (idBytes.Length == 0) throw new MigrationStreamException("State section without a component id");
        return ComponentId.TryDecode(idBytes, out string error) ?? throw new MigrationStreamException($"State section {error}");
    }

    private static MigrationFingerprint DecodeFingerprint(ReadOnlySpan<byte> json)
    {
        if (json.Length == 0) throw new MigrationStreamException("Config section is empty");
        try
        {
            return MigrationFingerprint.FromJson(json);
        }
        catch (MigrationFingerprintException e)
        {
            throw new MigrationStreamException($"Config section: {e.Message}");
        }
    }

    private MigrationSection RoundEnd(ReadOnlySpan<byte> payload)
    {
        if (payload.Length != RoundEndBytes)
            throw new MigrationStreamException($"RoundEnd payload of {payload.Length} bytes (expected {RoundEndBytes})");
        uint round = BinaryPrimitives.ReadUInt32LittleEndian(payload);
        ulong pagesSent = BinaryPrimitives.ReadUInt64LittleEndian(payload[4..]);
        if (round != _lastRound + 1)
            throw new MigrationStreamException($"RoundEnd of round {round} after round {_lastRound}");
        _lastRound = round;
        var section = new MigrationSection.RoundEnd(round, pagesSent, _pagesSinceRoundEnd);
        _pagesSinceRoundEnd = 0;
        return section;
    }

    private void CheckAllVerified()
    {
        long count = Unverified.Count;
        if (count == 0) return;
        string first = Unverified.First() is { } gpa ? $", first at 0x{gpa:x}" : "";
        throw new MigrationStreamException($"End with {count} pages that failed their checksum and were not sent again{first}");
    }
}

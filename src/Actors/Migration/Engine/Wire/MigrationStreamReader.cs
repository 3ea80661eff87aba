using System.Buffers.Binary;
using Tern.Devices.Config;
using Tern.Kvm.Memory;
using static Tern.Actors.Migration.Engine.Wire.MigrationStreamFormat;

namespace Tern.Actors.Migration.Engine.Wire;

/// <summary>
/// The destination side of the migration stream (format and checks in <see cref="MigrationStreamFormat"/>).
/// Pull one section at a time with <see cref="ReadNext"/>; Ram sections are applied to guest memory
/// before it returns. Every byte is hostile: anything wrong throws <see cref="MigrationStreamException"/>,
/// after which the reader is finished and the VM must be discarded (page data may already have
/// been written to guest memory). Not thread-safe.
/// </summary>
public sealed class MigrationStreamReader
{
    // Main socket: Header, Config, then (first in the body) an optional Channel. Data channel:
    // Header, Channel, then only Ram and End.
    private enum Phase { Header, Config, FirstBody, Body, ChannelHello, DataBody, Finished }

    private readonly StreamInput _input;
    private readonly byte[] _header = new byte[MaxSectionHeaderBytes];
    private readonly byte[] _table = new byte[MaxRamTableBytes];
    private readonly RamSectionApplier _ram;
    private readonly bool _dataChannel;
    private Phase _phase = Phase.Header;
    private uint _lastRound;
    private ulong _pagesSinceRoundEnd;
    private readonly GuestMemory _memory;
    /// <summary>Replicate was read: checkpoints may follow the rounds.</summary>
    private bool _replicating;
    /// <summary>The last checkpoint that ended (null: none yet, the rounds may still run).</summary>
    private ulong? _lastCheckpoint;
    private long _flushed = -1;
    /// <summary>The open checkpoint: its epoch, digest so far and what it carried.</summary>
    private (ulong Epoch, uint Digest, ulong Pages, uint States)? _checkpoint;

    /// <param name="unverified">Shared when several sockets carry one migration; a fresh ledger otherwise.</param>
    public MigrationStreamReader(Stream stream, GuestMemory memory, UnverifiedPages? unverified = null)
        : this(stream, memory, unverified, dataChannel: false)
    {
    }

    private MigrationStreamReader(Stream stream, GuestMemory memory, UnverifiedPages? unverified, bool dataChannel)
    {
        _dataChannel = dataChannel;
        _memory = memory;
        _input = new StreamInput(stream);
        Unverified = unverified ?? new UnverifiedPages(memory);
        _ram = new RamSectionApplier(memory, _input, Unverified);
    }

    /// <summary>A multifd data channel's reader: Header, Channel, then Ram sections until End; pages checked against the shared ledger.</summary>
    public static MigrationStreamReader ForDataChannel(Stream stream, GuestMemory memory, UnverifiedPages unverified) =>
        new(stream, memory, unverified, dataChannel: true);

    public UnverifiedPages Unverified { get; }

    /// <summary>
    /// Multifd: called when the main socket's End arrives, before the unverified-page check; it must
    /// return only once every data channel has read its own End (their pages count too).
    /// </summary>
    public Action? AwaitDataChannels { get; set; }

    /// <summary>
    /// Set once the source's RAM has been mapped here in place of this side's own (SharedRam
    /// accepted): from then on a Ram section would write into the source's live guest memory
    /// before the commit, so it is refused.
    /// </summary>
    public bool RamHandedOver { get; set; }

    /// <summary>Every byte consumed so far.</summary>
    public long BytesRead => _input.Position;

    /// <summary>Everything the Ram sections carried so far.</summary>
    public RamTransferStats RamTotals { get; private set; }

    /// <summary>
    /// The stream opened with the magic: it comes from a Tern source, so whatever fails from here
    /// on is that migration's fault, not a stray connection's.
    /// </summary>
    public bool IsTernStream { get; private set; }

    /// <summary>
    /// Reads and checks the stream header, which <see cref="ReadNext"/> otherwise reads first: a
    /// listener calls it alone to tell a migration from a stray connection.
    /// </summary>
    public void ReadHeader()
    {
        if (_phase != Phase.Header) throw new InvalidOperationException("the stream header has already been read");
        _phase = Phase.Finished; // until the header has been read completely
        ReadStreamHeader();
        _phase = _dataChannel ? Phase.ChannelHello : Phase.Config;
    }

    /// <summary>Reads (on the first call, after the stream header) and validates the next section.</summary>
    public MigrationSection ReadNext()
    {
        if (_phase == Phase.Header) ReadHeader();
        if (_phase == Phase.Finished) throw new InvalidOperationException("the migration stream has already ended or failed");
        var phase = _phase;
        _phase = Phase.Finished; // until this section has been read completely
        var section = ReadSection(phase);
        _phase = section is MigrationSection.End or MigrationSection.Cancel ? Phase.Finished
            : phase is Phase.Config ? Phase.FirstBody
            : section is MigrationSection.Replicate ? Phase.Body
            : section is MigrationSection.SharedRam ? phase // a declined offer: Channel may still come
            : _dataChannel ? Phase.DataBody : Phase.Body;
        return section;
    }

    private void ReadStreamHeader()
    {
        Span<byte> header = stackalloc byte[HeaderBytes];
        _input.ReadExactly(header, "the stream header");
        if (!header[..8].SequenceEqual(Magic))
            throw new MigrationStreamException($"bad magic 0x{Convert.ToHexString(header[..8])} (expected TERN-MIG)");
        IsTernStream = true;
        uint version = BinaryPrimitives.ReadUInt32LittleEndian(header[8..]);
        if (version != FormatVersion)
            throw new MigrationStreamException($"stream format version {version} unsupported (this Tern reads {FormatVersion})");
    }

    private MigrationSection ReadSection(Phase phase)
    {
        if (_input.AtEnd("the next section")) throw new MigrationStreamException("stream ended before its End section", linkLost: true);
        var h = _header.AsSpan();
        _input.ReadExactly(h[..3], "a section header");
        byte kindByte = h[0];
        if (!Enum.IsDefined((MigrationSectionKind)kindByte)) throw new MigrationStreamException($"section kind 0x{kindByte:x2} unknown");
        var kind = (MigrationSectionKind)kindByte;
        CheckOrder(phase, kind);

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
        byte[] owned = kind is MigrationSectionKind.Config or MigrationSectionKind.State or MigrationSectionKind.CheckpointRam or MigrationSectionKind.CheckpointDisk
                or MigrationSectionKind.DiskCopy
            ? new byte[length] : _table;
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
        if (_checkpoint is { } open && kind != MigrationSectionKind.CheckpointEnd)
            _checkpoint = open with { Digest = Crc32C.Append(Crc32C.Append(Crc32C.Append(open.Digest, h[..headerLength]), payload), crcBytes) };

        switch (kind)
        {
            case MigrationSectionKind.Replicate:
                return Replicate(payload);
            case MigrationSectionKind.Checkpoint:
                return BeginCheckpoint(payload, h[..headerLength], crcBytes);
            case MigrationSectionKind.CheckpointRam:
                return CheckpointRam(owned);
            case MigrationSectionKind.CheckpointEnd:
                return EndCheckpoint(payload);
            case MigrationSectionKind.CheckpointDisk:
                return CheckpointDisk(id, owned);
            case MigrationSectionKind.DiskCopy:
                return DiskCopy(id, owned);
            case MigrationSectionKind.Config:
                return new MigrationSection.Config(DecodeFingerprint(payload));
            case MigrationSectionKind.State:
                if (_checkpoint is { } c) _checkpoint = c with { States = c.States + 1 };
                return new MigrationSection.State(id, version, owned);
            case MigrationSectionKind.Ram:
                var stats = _ram.Apply(payload, sectionBytes);
                RamTotals += stats;
                _pagesSinceRoundEnd += stats.PagesSent;
                return new MigrationSection.RamApplied(stats);
            case MigrationSectionKind.RoundEnd:
                return RoundEnd(payload);
            case MigrationSectionKind.Channel:
                return Channel(payload);
            case MigrationSectionKind.SharedRam:
                // The source sends nothing more until it has the answer; its descriptor byte then
                // comes outside this reader, so no byte may wait in the buffer here.
                RequireNothingAfter(kind);
                if (payload.Length != SharedRamBytes)
                    throw new MigrationStreamException($"SharedRam payload of {payload.Length} bytes (expected {SharedRamBytes})");
                return new MigrationSection.SharedRam(BinaryPrimitives.ReadUInt64LittleEndian(payload));
            case MigrationSectionKind.End:
                RequireNothingAfter(kind);
                // The ledger is shared: only the main End, once the data channels ended, sees it final.
                if (_dataChannel) return MigrationSection.End.Instance;
                AwaitDataChannels?.Invoke();
                CheckAllVerified();
                return MigrationSection.End.Instance;
            default:
                RequireNothingAfter(kind);
                return MigrationSection.Cancel.Instance;
        }
    }

    /// <summary>
    /// The stream's last section: bytes that came with it are refused. (What the source sends after
    /// End, its commit frame, it sends only once the destination has answered; see the format.)
    /// </summary>
    private void RequireNothingAfter(MigrationSectionKind kind)
    {
        if (_input.Buffered > 0) throw new MigrationStreamException($"{_input.Buffered} bytes follow the {kind} section");
    }

    private void CheckOrder(Phase phase, MigrationSectionKind kind)
    {
        string? wrong = RamHandedOver && kind is MigrationSectionKind.Ram or MigrationSectionKind.Channel or MigrationSectionKind.SharedRam
                ? $"{kind} section after the source handed its RAM over"
            : phase switch
        {
            Phase.Config when kind != MigrationSectionKind.Config => $"{kind} section before the Config section",
            Phase.ChannelHello when kind != MigrationSectionKind.Channel => $"{kind} section on a data channel before its Channel section",
            Phase.DataBody when kind is not (MigrationSectionKind.Ram or MigrationSectionKind.End) => $"{kind} section on a data channel",
            Phase.FirstBody or Phase.Body when kind == MigrationSectionKind.Config => "second Config section",
            Phase.Body when kind == MigrationSectionKind.Channel => "Channel section after the migration began",
            Phase.Body when kind == MigrationSectionKind.SharedRam => "SharedRam section after the migration began",
            _ => CheckReplicationOrder(phase, kind),
        };
        if (wrong is not null) throw new MigrationStreamException(wrong);
    }

    /// <summary>The replication part's order (see the format): null when <paramref name="kind"/> may come now.</summary>
    private string? CheckReplicationOrder(Phase phase, MigrationSectionKind kind)
    {
        bool inCheckpoint = _checkpoint is not null, began = _lastCheckpoint is not null || inCheckpoint;
        return kind switch
        {
            MigrationSectionKind.Replicate when phase != Phase.FirstBody || _replicating => "Replicate section after the migration began",
            MigrationSectionKind.Channel or MigrationSectionKind.SharedRam when _replicating => $"{kind} section in a replication",
            MigrationSectionKind.Checkpoint when !_replicating => "Checkpoint section in a migration that is not a replication",
            MigrationSectionKind.DiskCopy when !_replicating => "DiskCopy section in a migration that is not a replication",
            MigrationSectionKind.DiskCopy when began => "DiskCopy section after the checkpoints began",
            MigrationSectionKind.Checkpoint when inCheckpoint => $"Checkpoint section inside checkpoint {_checkpoint!.Value.Epoch}",
            MigrationSectionKind.CheckpointRam or MigrationSectionKind.CheckpointEnd or MigrationSectionKind.CheckpointDisk when !inCheckpoint
                => $"{kind} section outside a checkpoint",
            MigrationSectionKind.State when _replicating && !inCheckpoint => "State section outside a checkpoint",
            MigrationSectionKind.End when _replicating => "End section in a replication (it ends with Cancel)",
            MigrationSectionKind.Ram or MigrationSectionKind.RoundEnd when began => $"{kind} section after the checkpoints began",
            MigrationSectionKind.Cancel when inCheckpoint => $"Cancel section inside checkpoint {_checkpoint!.Value.Epoch}",
            _ => null,
        };
    }

    private MigrationSection Replicate(ReadOnlySpan<byte> payload)
    {
        if (payload.Length != ReplicateBytes) throw new MigrationStreamException($"Replicate payload of {payload.Length} bytes (expected {ReplicateBytes})");
        uint epochMs = BinaryPrimitives.ReadUInt32LittleEndian(payload);
        if (epochMs is < 1 or > MaxEpochMs) throw new MigrationStreamException($"Replicate epoch of {epochMs} ms is outside 1..{MaxEpochMs}");
        _replicating = true;
        return new MigrationSection.Replicate(epochMs);
    }

    private MigrationSection BeginCheckpoint(ReadOnlySpan<byte> payload, ReadOnlySpan<byte> header, ReadOnlySpan<byte> crc)
    {
        if (payload.Length != CheckpointBytes) throw new MigrationStreamException($"Checkpoint payload of {payload.Length} bytes (expected {CheckpointBytes})");
        ulong epoch = BinaryPrimitives.ReadUInt64LittleEndian(payload);
        long flushed = BinaryPrimitives.ReadInt64LittleEndian(payload[8..]);
        ulong expected = _lastCheckpoint is { } last ? last + 1 : 0;
        if (epoch != expected) throw new MigrationStreamException($"Checkpoint {epoch} where checkpoint {expected} was due");
        if (flushed < _flushed || flushed >= (long)Math.Min(epoch, long.MaxValue))
            throw new MigrationStreamException($"Checkpoint {epoch} says disk writes are flushed up to epoch {flushed} (after {_flushed}, before {epoch} expected)");
        _flushed = flushed;
        _checkpoint = (epoch, Crc32C.Append(Crc32C.Append(Crc32C.Append(Crc32C.Start, header), payload), crc), 0, 0);
        return new MigrationSection.Checkpoint(epoch, flushed);
    }

    private MigrationSection CheckpointRam(byte[] payload)
    {
        if (payload.Length < 4) throw new MigrationStreamException($"CheckpointRam payload of {payload.Length} bytes");
        uint count = BinaryPrimitives.ReadUInt32LittleEndian(payload);
        if (count is < 1 or > MaxRamDataPages) throw new MigrationStreamException($"CheckpointRam with {count} pages (1..{MaxRamDataPages} allowed)");
        if (payload.Length != CheckpointRamBytes((int)count))
            throw new MigrationStreamException($"CheckpointRam payload of {payload.Length} bytes does not fit {count} pages ({CheckpointRamBytes((int)count)})");
        var gpas = new ulong[count];
        for (int i = 0; i < count; i++)
        {
            ulong gpa = BinaryPrimitives.ReadUInt64LittleEndian(payload.AsSpan(4 + i * 8));
            if (gpa % PageSize != 0) throw new MigrationStreamException($"CheckpointRam page 0x{gpa:x} is not page-aligned");
            if (i > 0 && gpa <= gpas[i - 1]) throw new MigrationStreamException($"CheckpointRam page 0x{gpa:x} does not follow 0x{gpas[i - 1]:x}");
            if (!_memory.IsRam(gpa, PageSize)) throw new MigrationStreamException($"CheckpointRam page 0x{gpa:x} is not guest RAM");
            gpas[i] = gpa;
        }
        var c = _checkpoint!.Value;
        _checkpoint = c with { Pages = c.Pages + count };
        return new MigrationSection.CheckpointRam(gpas, payload, 4 + (int)count * 8);
    }

    private static MigrationSection CheckpointDisk(string driveId, byte[] payload)
    {
        int data = payload.Length - CheckpointDiskHeaderBytes;
        if (data < DiskSectorSize || data % DiskSectorSize != 0)
            throw new MigrationStreamException($"CheckpointDisk payload of {payload.Length} bytes (an offset and whole sectors expected)");
        long offset = BinaryPrimitives.ReadInt64LittleEndian(payload);
        if (offset < 0 || offset % DiskSectorSize != 0) throw new MigrationStreamException($"CheckpointDisk offset {offset} is not a sector boundary");
        return new MigrationSection.CheckpointDisk(driveId, offset, payload[CheckpointDiskHeaderBytes..]);
    }

    private static MigrationSection DiskCopy(string driveId, byte[] payload)
    {
        int data = payload.Length - DiskCopyHeaderBytes;
        if (data < 0 || data % DiskSectorSize != 0)
            throw new MigrationStreamException($"DiskCopy payload of {payload.Length} bytes (a length, an offset and whole sectors expected)");
        long length = BinaryPrimitives.ReadInt64LittleEndian(payload);
        long offset = BinaryPrimitives.ReadInt64LittleEndian(payload.AsSpan(8));
        if (length < 0) throw new MigrationStreamException($"DiskCopy drive length {length}");
        if (offset < 0 || offset % DiskSectorSize != 0) throw new MigrationStreamException($"DiskCopy offset {offset} is not a sector boundary");
        if (offset > length - data) throw new MigrationStreamException($"DiskCopy of {data} bytes at {offset} is past the end of its {length}-byte drive");
        return new MigrationSection.DiskCopy(driveId, length, offset, payload[DiskCopyHeaderBytes..]);
    }

    private MigrationSection EndCheckpoint(ReadOnlySpan<byte> payload)
    {
        if (payload.Length != CheckpointEndBytes) throw new MigrationStreamException($"CheckpointEnd payload of {payload.Length} bytes (expected {CheckpointEndBytes})");
        var c = _checkpoint!.Value;
        ulong epoch = BinaryPrimitives.ReadUInt64LittleEndian(payload);
        ulong pages = BinaryPrimitives.ReadUInt64LittleEndian(payload[8..]);
        uint states = BinaryPrimitives.ReadUInt32LittleEndian(payload[16..]);
        uint digest = BinaryPrimitives.ReadUInt32LittleEndian(payload[20..]);
        string? wrong = epoch != c.Epoch ? $"CheckpointEnd of {epoch} closes checkpoint {c.Epoch}"
            : pages != c.Pages ? $"checkpoint {epoch} claims {pages} pages, {c.Pages} arrived"
            : states != c.States ? $"checkpoint {epoch} claims {states} states, {c.States} arrived"
            : digest != Crc32C.Finish(c.Digest) ? $"checkpoint {epoch} digest 0x{digest:x8} does not match its sections (0x{Crc32C.Finish(c.Digest):x8})"
            : null;
        if (wrong is not null) throw new MigrationStreamException(wrong);
        _checkpoint = null;
        _lastCheckpoint = epoch;
        return new MigrationSection.CheckpointEnd(epoch, pages, states);
    }

    private MigrationSection Channel(ReadOnlySpan<byte> payload)
    {
        if (payload.Length != ChannelBytes)
            throw new MigrationStreamException($"Channel payload of {payload.Length} bytes (expected {ChannelBytes})");
        var session = new Guid(payload[..SessionIdBytes]);
        int count = BinaryPrimitives.ReadUInt16LittleEndian(payload[SessionIdBytes..]);
        int index = BinaryPrimitives.ReadUInt16LittleEndian(payload[(SessionIdBytes + 2)..]);
        if (count is < 1 or > MaxDataChannels) throw new MigrationStreamException($"Channel section names {count} data channels (1..{MaxDataChannels} allowed)");
        if (_dataChannel ? index < 1 || index > count : index != 0)
            throw new MigrationStreamException(_dataChannel
                ? $"data channel index {index} is outside 1..{count}"
                : $"Channel section on the main socket has index {index} (expected 0)");
        return new MigrationSection.Channel(session, count, index);
    }

    private static void CheckPayloadLimit(MigrationSectionKind kind, ulong length)
    {
        ulong limit = kind switch
        {
            MigrationSectionKind.Config => MaxConfigBytes,
            MigrationSectionKind.State => MaxStateBytes,
            MigrationSectionKind.Ram => MaxRamTableBytes,
            MigrationSectionKind.RoundEnd => RoundEndBytes,
            MigrationSectionKind.Channel => ChannelBytes,
            MigrationSectionKind.SharedRam => SharedRamBytes,
            MigrationSectionKind.Replicate => ReplicateBytes,
            MigrationSectionKind.Checkpoint => CheckpointBytes,
            MigrationSectionKind.CheckpointRam => MaxCheckpointRamBytes,
            MigrationSectionKind.CheckpointEnd => CheckpointEndBytes,
            MigrationSectionKind.CheckpointDisk => MaxCheckpointDiskBytes,
            MigrationSectionKind.DiskCopy => MaxDiskCopyBytes,
            _ => 0,
        };
        if (length <= limit) return;
        if (limit == 0) throw new MigrationStreamException($"{kind} section has a payload of {length} bytes (expected none)");
        throw new MigrationStreamException($"{kind} payload of {length} bytes is over the {SizeText(limit)} limit");
    }

    private static string SizeText(ulong bytes) => bytes >= 1 << 20 ? $"{bytes >> 20} MiB" : $"{bytes}-byte";

    private static string CheckId(MigrationSectionKind kind, ReadOnlySpan<byte> idBytes)
    {
        if (kind is not (MigrationSectionKind.State or MigrationSectionKind.CheckpointDisk or MigrationSectionKind.DiskCopy))
        {
            if (idBytes.Length != 0)
                throw new MigrationStreamException($"{kind} section has a component id of {idBytes.Length} bytes (expected none)");
            return "";
        }
        if (idBytes.Length == 0) throw new MigrationStreamException($"{kind} section without a component id");
        return ComponentId.TryDecode(idBytes, out string error) ?? throw new MigrationStreamException($"{kind} section {error}");
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

using System.Buffers.Binary;
using System.Runtime.CompilerServices;
using Tern.Devices.Config;
using Tern.Kvm.Memory;
using static Tern.Actors.Migration.Engine.Wire.MigrationStreamFormat;

namespace Tern.Actors.Migration.Engine.Wire;

/// <summary>
/// The source side of the migration stream (format in <see cref="MigrationStreamFormat"/>).
/// Guest pages go from guest memory to <c>Stream.Write</c> without a copy; zero pages are found
/// with vector compares (pages the host never backed, without a look) and sent as zero ranges.
/// Sections are written whole by each call, so a call that returns has put a complete section
/// into the stream. Not thread-safe: one writer per socket, used from one thread at a time. I/O
/// errors of the stream propagate unchanged.
/// </summary>
public sealed class MigrationStreamWriter(Stream stream, GuestMemory memory)
{
    /// <summary>Pages classified per view of guest memory (a run is walked in views of at most this).</summary>
    private const int ViewPages = 16384;

    /// <summary>
    /// Runs shorter than this skip the pagemap read: they come from the dirty log, so the guest
    /// wrote them and the host backs them, and in the final round a syscall per run would add to
    /// the guest's pause. The first pass walks RAM in whole views.
    /// </summary>
    private const int BackedCheckMinPages = 512;

    private readonly RamBatch _batch = new();
    private readonly bool[] _backed = new bool[ViewPages];
    private readonly byte[] _section = new byte[MaxSectionHeaderBytes + MaxRamTableBytes + CrcBytes];
    private uint _round;
    private ulong _pagesThisRound;
    /// <summary>The open checkpoint: its digest so far and what it carried (see the format's replication part).</summary>
    private (ulong Epoch, uint Digest, ulong Pages, uint States)? _checkpoint;

    /// <summary>Every byte written so far.</summary>
    public long BytesWritten { get; private set; }

    /// <summary>Everything the Ram sections carried so far.</summary>
    public RamTransferStats RamTotals { get; private set; }

    public void WriteHeader()
    {
        Span<byte> header = stackalloc byte[HeaderBytes];
        Magic.CopyTo(header);
        BinaryPrimitives.WriteUInt32LittleEndian(header[8..], FormatVersion);
        Send(header);
    }

    public void WriteConfig(MigrationFingerprint fingerprint) => WriteConfig(fingerprint.ToJson());

    /// <summary>Sends fingerprint JSON as is (tests use it to send malformed ones).</summary>
    public void WriteConfig(ReadOnlySpan<byte> fingerprintJson)
    {
        if (fingerprintJson.Length is 0 or > MaxConfigBytes)
            throw new ArgumentException($"fingerprint of {fingerprintJson.Length} bytes is outside 1..{MaxConfigBytes}", nameof(fingerprintJson));
        WriteSection(MigrationSectionKind.Config, "", SectionVersion, fingerprintJson);
    }

    /// <summary>Multifd: this socket's place in the migration <paramref name="session"/> (index 0 is the main socket).</summary>
    public void WriteChannel(Guid session, int dataChannels, int index)
    {
        if (dataChannels is < 1 or > MaxDataChannels) throw new ArgumentOutOfRangeException(nameof(dataChannels));
        if (index < 0 || index > dataChannels) throw new ArgumentOutOfRangeException(nameof(index));
        Span<byte> payload = stackalloc byte[ChannelBytes];
        session.TryWriteBytes(payload);
        BinaryPrimitives.WriteUInt16LittleEndian(payload[SessionIdBytes..], (ushort)dataChannels);
        BinaryPrimitives.WriteUInt16LittleEndian(payload[(SessionIdBytes + 2)..], (ushort)index);
        WriteSection(MigrationSectionKind.Channel, "", SectionVersion, payload);
    }

    /// <summary>Offers to hand over shared RAM of <paramref name="ramBytes"/> bytes instead of copying it (see the format).</summary>
    public void WriteSharedRam(ulong ramBytes)
    {
        Span<byte> payload = stackalloc byte[SharedRamBytes];
        BinaryPrimitives.WriteUInt64LittleEndian(payload, ramBytes);
        WriteSection(MigrationSectionKind.SharedRam, "", SectionVersion, payload);
    }

    /// <summary>One component's saved state; <paramref name="componentId"/> is 1..64 bytes of UTF-8.</summary>
    /// <summary>
    /// The machine's whole state as a switch-over, checkpoint or snapshot carries it: every
    /// component's, then "vm/run" (whether the guest ran) and, when a console kept its output, "vm/console".
    /// </summary>
    public void WriteMachineState(IReadOnlyList<Tern.Devices.Board.ComponentState> states, bool running, (long Written, byte[] Tail)? console)
    {
        foreach (var s in states) WriteState(s.Id, s.Version, s.Data);
        WriteState(RunStateComponent.Id, RunStateComponent.Version, RunStateComponent.Encode(running));
        if (console is var (written, tail))
        {
            var kept = tail.AsSpan(Math.Max(0, tail.Length - ConsoleComponent.MaxTailBytes));
            WriteState(ConsoleComponent.Id, ConsoleComponent.Version, ConsoleComponent.Encode(written, kept));
        }
    }

    public void WriteState(string componentId, uint version, ReadOnlySpan<byte> state)
    {
        if (componentId.Length == 0) throw new ArgumentException("a State section needs a component id", nameof(componentId));
        if (state.Length > MaxStateBytes)
            throw new ArgumentException($"state of {state.Length} bytes is over the {MaxStateBytes >> 20} MiB limit", nameof(state));
        WriteSection(MigrationSectionKind.State, componentId, version, state);
        if (_checkpoint is { } c) _checkpoint = c with { States = c.States + 1 };
    }

    /// <summary>Closes the current round: its number (1, 2, ...) and the pages sent since the previous RoundEnd.</summary>
    public (uint Round, ulong PagesSent) WriteRoundEnd()
    {
        Span<byte> payload = stackalloc byte[RoundEndBytes];
        uint round = _round + 1;
        BinaryPrimitives.WriteUInt32LittleEndian(payload, round);
        BinaryPrimitives.WriteUInt64LittleEndian(payload[4..], _pagesThisRound);
        WriteSection(MigrationSectionKind.RoundEnd, "", SectionVersion, payload);
        var result = (round, _pagesThisRound);
        _round = round;
        _pagesThisRound = 0;
        return result;
    }

    public void WriteEnd() => WriteSection(MigrationSectionKind.End, "", SectionVersion, []);

    /// <summary>Asks the destination to be a standby, taking a checkpoint every <paramref name="epochMs"/> ms.</summary>
    public void WriteReplicate(uint epochMs)
    {
        Span<byte> payload = stackalloc byte[ReplicateBytes];
        BinaryPrimitives.WriteUInt32LittleEndian(payload, epochMs);
        WriteSection(MigrationSectionKind.Replicate, "", SectionVersion, payload);
    }

    /// <summary>Part of drive <paramref name="driveId"/>'s image (<paramref name="driveLength"/> bytes) for a standby's own copy: at most 4 MiB, whole sectors.</summary>
    public void WriteDiskCopy(string driveId, long driveLength, long offset, ReadOnlySpan<byte> data)
    {
        if (data.Length > MaxDiskCopyDataBytes || data.Length % DiskSectorSize != 0 || offset % DiskSectorSize != 0)
            throw new ArgumentException("a disk copy section is whole sectors, at most 4 MiB", nameof(data));
        var payload = new byte[DiskCopyHeaderBytes + data.Length];
        BinaryPrimitives.WriteInt64LittleEndian(payload, driveLength);
        BinaryPrimitives.WriteInt64LittleEndian(payload.AsSpan(8), offset);
        data.CopyTo(payload.AsSpan(DiskCopyHeaderBytes));
        WriteSection(MigrationSectionKind.DiskCopy, driveId, SectionVersion, payload);
    }

    /// <summary>Opens checkpoint <paramref name="epoch"/> (disk writes flushed up to <paramref name="flushed"/>): its pages, disk writes and states follow, then <see cref="WriteCheckpointEnd"/>.</summary>
    public void WriteCheckpoint(ulong epoch, long flushed)
    {
        if (_checkpoint is not null) throw new InvalidOperationException("a checkpoint is already open");
        _checkpoint = (epoch, Crc32C.Start, 0, 0);
        Span<byte> payload = stackalloc byte[CheckpointBytes];
        BinaryPrimitives.WriteUInt64LittleEndian(payload, epoch);
        BinaryPrimitives.WriteInt64LittleEndian(payload[8..], flushed);
        WriteSection(MigrationSectionKind.Checkpoint, "", SectionVersion, payload);
    }

    /// <summary>One disk write of the open checkpoint, in sections of at most 4 MiB of data.</summary>
    public void WriteCheckpointDisk(string driveId, long offset, ReadOnlySpan<byte> data)
    {
        if (_checkpoint is null) throw new InvalidOperationException("no checkpoint is open");
        if (data.Length == 0 || data.Length % DiskSectorSize != 0) throw new ArgumentException("a disk write is whole sectors", nameof(data));
        for (int at = 0; at < data.Length; at += MaxCheckpointDiskBytes - CheckpointDiskHeaderBytes)
        {
            var chunk = data.Slice(at, Math.Min(MaxCheckpointDiskBytes - CheckpointDiskHeaderBytes, data.Length - at));
            var payload = new byte[CheckpointDiskHeaderBytes + chunk.Length];
            BinaryPrimitives.WriteInt64LittleEndian(payload, offset + at);
            chunk.CopyTo(payload.AsSpan(CheckpointDiskHeaderBytes));
            WriteSection(MigrationSectionKind.CheckpointDisk, driveId, SectionVersion, payload);
        }
    }

    /// <summary>Pages of the open checkpoint: <paramref name="gpas"/> increasing, <paramref name="data"/> their bytes in order, in sections of at most 1024 pages.</summary>
    public void WriteCheckpointRam(ReadOnlySpan<ulong> gpas, ReadOnlySpan<byte> data)
    {
        if (_checkpoint is null) throw new InvalidOperationException("no checkpoint is open");
        if (data.Length != gpas.Length * PageSize) throw new ArgumentException("one page of data per address", nameof(data));
        for (int at = 0; at < gpas.Length; at += MaxRamDataPages)
        {
            int pages = Math.Min(MaxRamDataPages, gpas.Length - at);
            var payload = new byte[CheckpointRamBytes(pages)];
            BinaryPrimitives.WriteUInt32LittleEndian(payload, (uint)pages);
            for (int i = 0; i < pages; i++) BinaryPrimitives.WriteUInt64LittleEndian(payload.AsSpan(4 + i * 8), gpas[at + i]);
            data.Slice(at * PageSize, pages * PageSize).CopyTo(payload.AsSpan(4 + pages * 8));
            WriteSection(MigrationSectionKind.CheckpointRam, "", SectionVersion, payload);
            _checkpoint = _checkpoint.Value with { Pages = _checkpoint.Value.Pages + (ulong)pages };
        }
    }

    /// <summary>Closes the open checkpoint with its counts and digest.</summary>
    public void WriteCheckpointEnd()
    {
        var c = _checkpoint ?? throw new InvalidOperationException("no checkpoint is open");
        _checkpoint = null;
        Span<byte> payload = stackalloc byte[CheckpointEndBytes];
        BinaryPrimitives.WriteUInt64LittleEndian(payload, c.Epoch);
        BinaryPrimitives.WriteUInt64LittleEndian(payload[8..], c.Pages);
        BinaryPrimitives.WriteUInt32LittleEndian(payload[16..], c.States);
        BinaryPrimitives.WriteUInt32LittleEndian(payload[20..], Crc32C.Finish(c.Digest));
        WriteSection(MigrationSectionKind.CheckpointEnd, "", SectionVersion, payload);
    }

    public void WriteCancel() => WriteSection(MigrationSectionKind.Cancel, "", SectionVersion, []);

    public void Flush() => stream.Flush();

    /// <summary>
    /// Sends the pages of <paramref name="runs"/> (each page-aligned and inside one RAM region) as
    /// Ram sections of at most 1024 ranges and 4 MiB of data, and returns what they carried.
    /// </summary>
    public RamTransferStats WriteRam(ReadOnlySpan<PageRun> runs)
    {
        foreach (var run in runs)
            if (run.Gpa % PageSize != 0 || run.Pages == 0 || run.Pages > ulong.MaxValue / PageSize
                || !memory.IsRam(run.Gpa, run.Pages * PageSize))
                throw new ArgumentException($"page run 0x{run.Gpa:x} x {run.Pages} pages is not inside one RAM region", nameof(runs));

        var before = RamTotals;
        foreach (var run in runs)
        {
            ulong gpa = run.Gpa;
            for (ulong left = run.Pages; left > 0;)
            {
                int pages = (int)Math.Min(left, ViewPages);
                AddPages(gpa, pages);
                gpa += (ulong)pages * PageSize;
                left -= (ulong)pages;
            }
        }
        if (_batch.Count > 0) SendRamBatch();
        var sent = RamTotals;
        return new RamTransferStats(sent.NormalPages - before.NormalPages, sent.ZeroPages - before.ZeroPages,
            sent.Bytes - before.Bytes, sent.Sections - before.Sections, sent.Ranges - before.Ranges);
    }

    [MethodImpl(MethodImplOptions.AggressiveOptimization)] // hot from the first page: no slow tier-0 code
    private void AddPages(ulong gpa, int pages)
    {
        var view = memory.ReadSpan(gpa, pages * PageSize);
        // A page the host never backed is zero without reading it: reading would map the zero page
        // at best, and on hugetlbfs or shared memory allocate and clear a page for nothing.
        var backed = _backed.AsSpan(0, pages);
        bool backingKnown = pages >= BackedCheckMinPages && memory.TryGetBacked(gpa, backed);
        _batch.Break();
        for (int p = 0; p < pages; p++)
        {
            bool zero = (backingKnown && !backed[p]) || ZeroPage.IsZero(view.Slice(p * PageSize, PageSize));
            ulong pageGpa = gpa + (ulong)p * PageSize;
            if (_batch.TryAdd(pageGpa, zero)) continue;
            SendRamBatch();
            _batch.TryAdd(pageGpa, zero);
        }
    }

    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private void SendRamBatch()
    {
        var ranges = _batch.Ranges.AsSpan(0, _batch.Count);
        var crcs = _batch.PageCrcs.AsSpan(0, _batch.DataPages);

        // Checksums just before sending: a page the guest changes in between arrives "unverified"
        // and is sent again next round because it is dirty (see MigrationStreamFormat).
        int crcIndex = 0;
        foreach (var r in ranges)
        {
            if (r.Zero) continue;
            int pages = (int)(r.Length / PageSize);
            Crc32C.Pages(memory.ReadSpan(r.Gpa, (int)r.Length), crcs.Slice(crcIndex, pages));
            crcIndex += pages;
        }

        ulong payloadLength = RamTableBytes((ulong)ranges.Length, (ulong)crcs.Length);
        Span<byte> s = _section;
        int at = WriteSectionHeader(s, MigrationSectionKind.Ram, "", SectionVersion, payloadLength);
        BinaryPrimitives.WriteUInt32LittleEndian(s[at..], (uint)ranges.Length);
        at += 4;
        foreach (var r in ranges)
        {
            BinaryPrimitives.WriteUInt64LittleEndian(s[at..], r.Gpa);
            BinaryPrimitives.WriteUInt64LittleEndian(s[(at + 8)..], r.Length);
            s[at + 16] = r.Zero ? RamFlagZero : RamFlagData;
            at += RamRangeEntryBytes;
        }
        foreach (uint crc in crcs)
        {
            BinaryPrimitives.WriteUInt32LittleEndian(s[at..], crc);
            at += 4;
        }
        BinaryPrimitives.WriteUInt32LittleEndian(s[at..], Crc32C.Compute(s[..at]));
        at += CrcBytes;
        Send(s[..at]);

        foreach (var r in ranges)
            if (!r.Zero) Send(memory.ReadSpan(r.Gpa, (int)r.Length));

        ulong pagesSent = (ulong)crcs.Length + _batch.ZeroPages;
        _pagesThisRound += pagesSent;
        RamTotals += new RamTransferStats((ulong)crcs.Length, _batch.ZeroPages,
            (ulong)at + (ulong)crcs.Length * PageSize, 1, ranges.Length);
        _batch.Clear();
    }

    private void WriteSection(MigrationSectionKind kind, string id, uint version, ReadOnlySpan<byte> payload)
    {
        Span<byte> s = _section;
        int at = WriteSectionHeader(s, kind, id, version, (ulong)payload.Length);
        uint crc = Crc32C.Finish(Crc32C.Append(Crc32C.Append(Crc32C.Start, s[..at]), payload));
        if (at + payload.Length + CrcBytes <= s.Length)
        {
            payload.CopyTo(s[at..]);
            at += payload.Length;
            BinaryPrimitives.WriteUInt32LittleEndian(s[at..], crc);
            Send(s[..(at + CrcBytes)]);
            return;
        }
        Send(s[..at]);
        Send(payload);
        BinaryPrimitives.WriteUInt32LittleEndian(s, crc);
        Send(s[..CrcBytes]);
    }

    /// <summary>kind, id length, id, version, payload length; returns the bytes written.</summary>
    private static int WriteSectionHeader(Span<byte> s, MigrationSectionKind kind, string id, uint version, ulong payloadLength)
    {
        s[0] = (byte)kind;
        int idLength = ComponentId.Encode(id, s[3..]);
        BinaryPrimitives.WriteUInt16LittleEndian(s[1..], (ushort)idLength);
        int at = 3 + idLength;
        BinaryPrimitives.WriteUInt32LittleEndian(s[at..], version);
        BinaryPrimitives.WriteUInt64LittleEndian(s[(at + 4)..], payloadLength);
        return at + 12;
    }

    private void Send(ReadOnlySpan<byte> bytes)
    {
        if (_checkpoint is { } c) _checkpoint = c with { Digest = Crc32C.Append(c.Digest, bytes) };
        stream.Write(bytes);
        BytesWritten += bytes.Length;
    }
}

using System.Buffers.Binary;
using Tern.Actors.Migration.Engine.Wire;
using Tern.Kvm.Memory;
using Kind = Tern.Actors.Migration.Engine.Wire.MigrationSectionKind;

namespace Tern.Actors.Tests.Migration.Replication;

/// <summary>
/// Issue 18, acceptance 4: the replication part of the stream (MigrationStreamFormat, "Continuous
/// replication") read back as written, every malformed checkpoint refused naming its fault, and
/// thousands of mutated replication streams never yielding a checkpoint other than the one sent.
/// </summary>
public sealed class CheckpointStreamTests
{
    private const int Page = MigrationStreamFormat.PageSize;
    private static readonly ulong[] FirstPages = [1 << 20, (1 << 20) + Page, TestMemory.HighStart];
    private static readonly ulong[] SecondPages = [2 << 20];

    private const long DriveBytes = 1 << 20;
    private static readonly byte[] CopiedBytes = Enumerable.Range(0, 1024).Select(i => (byte)(i * 13)).ToArray();

    private static byte[] PageData(ulong[] gpas, byte seed) =>
        gpas.SelectMany((g, i) => Enumerable.Range(0, Page).Select(j => (byte)(seed + i * 31 + j * 7))).ToArray();

    /// <summary>Config, Replicate, one round, checkpoints 0 and 1, Cancel: what a primary writes.</summary>
    private static byte[] ValidReplication(GuestMemory memory)
    {
        var bytes = new MemoryStream();
        var writer = new MigrationStreamWriter(bytes, memory);
        writer.WriteHeader();
        writer.WriteConfig(RoundTripFixtures.Fingerprint());
        writer.WriteReplicate(50);
        writer.WriteDiskCopy("rootfs", DriveBytes, 0, []);
        writer.WriteDiskCopy("rootfs", DriveBytes, 8192, CopiedBytes);
        writer.WriteRam([new PageRun(0, 4)]);
        writer.WriteRoundEnd();
        writer.WriteCheckpoint(0, -1);
        writer.WriteCheckpointRam(FirstPages, PageData(FirstPages, 1));
        writer.WriteCheckpointDisk("rootfs", 4096, new byte[1024]);
        writer.WriteState("vcpu0", 3, [1, 2, 3]);
        writer.WriteState(RunStateComponent.Id, RunStateComponent.Version, RunStateComponent.Encode(true));
        writer.WriteCheckpointEnd();
        writer.WriteCheckpoint(1, 0);
        writer.WriteCheckpointRam(SecondPages, PageData(SecondPages, 9));
        writer.WriteState("vcpu0", 3, [4, 5, 6]);
        writer.WriteCheckpointEnd();
        writer.WriteCancel();
        return bytes.ToArray();
    }

    /// <summary>Every section the reader returns, until Cancel or End.</summary>
    private static List<MigrationSection> ReadAll(byte[] stream, GuestMemory memory)
    {
        var reader = new MigrationStreamReader(new MemoryStream(stream), memory);
        var sections = new List<MigrationSection>();
        MigrationSection s;
        do sections.Add(s = reader.ReadNext());
        while (s is not (MigrationSection.Cancel or MigrationSection.End));
        return sections;
    }

    [Fact]
    public void A_replication_stream_reads_back_as_written()
    {
        using var memory = TestMemory.Create();
        var sections = ReadAll(ValidReplication(memory), memory);

        Assert.Equal(new MigrationSection.Replicate(50), sections[1]);
        var ends = sections.OfType<MigrationSection.CheckpointEnd>().ToArray();
        Assert.Equal([new MigrationSection.CheckpointEnd(0, 3, 2), new MigrationSection.CheckpointEnd(1, 1, 1)], ends);
        var first = sections.OfType<MigrationSection.CheckpointRam>().First();
        Assert.Equal(FirstPages, first.Gpas);
        var expected = PageData(FirstPages, 1);
        for (int i = 0; i < FirstPages.Length; i++) Assert.True(first.Page(i).SequenceEqual(expected.AsSpan(i * Page, Page)));
        Assert.Equal([-1L, 0L], sections.OfType<MigrationSection.Checkpoint>().Select(c => c.Flushed));
        var disk = Assert.Single(sections.OfType<MigrationSection.CheckpointDisk>());
        Assert.Equal(("rootfs", 4096L, 1024), (disk.DriveId, disk.Offset, disk.Data.Length));
        var copies = sections.OfType<MigrationSection.DiskCopy>().ToArray();
        Assert.Equal([("rootfs", DriveBytes, 0L, 0), ("rootfs", DriveBytes, 8192L, 1024)], copies.Select(c => (c.DriveId, c.DriveLength, c.Offset, c.Data.Length)));
        Assert.Equal(CopiedBytes, copies[1].Data);
        Assert.IsType<MigrationSection.Cancel>(sections[^1]);
    }

    [Fact]
    public void Checkpoint_pages_travel_in_sections_of_at_most_4_MiB()
    {
        using var memory = TestMemory.Create();
        var gpas = Enumerable.Range(0, 1500).Select(i => (ulong)i * Page).ToArray();
        var bytes = new MemoryStream();
        var writer = new MigrationStreamWriter(bytes, memory);
        writer.WriteHeader();
        writer.WriteConfig(RoundTripFixtures.Fingerprint());
        writer.WriteReplicate(25);
        writer.WriteCheckpoint(0, -1);
        writer.WriteCheckpointRam(gpas, new byte[gpas.Length * Page]);
        writer.WriteCheckpointEnd();
        writer.WriteCancel();
        var sections = ReadAll(bytes.ToArray(), memory);
        Assert.Equal([1024, 476], sections.OfType<MigrationSection.CheckpointRam>().Select(r => r.Gpas.Length));
        Assert.Equal(1500UL, Assert.Single(sections.OfType<MigrationSection.CheckpointEnd>()).Pages);
    }

    private static byte[] U64(ulong v)
    {
        var b = new byte[8];
        BinaryPrimitives.WriteUInt64LittleEndian(b, v);
        return b;
    }

    private static byte[] U32(uint v)
    {
        var b = new byte[4];
        BinaryPrimitives.WriteUInt32LittleEndian(b, v);
        return b;
    }

    private static byte[] Cp(ulong epoch, long flushed = -1) => [.. U64(epoch), .. U64(unchecked((ulong)flushed))];

    private static RawStream Replicating() => RawStream.Started().Section(Kind.Replicate, payload: U32(50));

    private static byte[] CheckpointRam(params ulong[] gpas) =>
        [.. U32((uint)gpas.Length), .. gpas.SelectMany(U64), .. new byte[gpas.Length * Page]];

    /// <summary>Name -> (stream, expected message; a trailing '*' means "starts with").</summary>
    private static readonly Dictionary<string, (Func<byte[]> Stream, string Message)> Cases = new()
    {
        ["Replicate epoch 0"] = (() => RawStream.Started().Section(Kind.Replicate, payload: U32(0)).ToArray(), "Replicate epoch of 0 ms is outside 1..60000"),
        ["Replicate after a round"] = (() => RawStream.Started().RoundEnd(1, 0).Section(Kind.Replicate, payload: U32(50)).ToArray(),
            "Replicate section after the migration began"),
        ["Checkpoint in a migration"] = (() => RawStream.Started().Section(Kind.Checkpoint, payload: Cp(0)).ToArray(),
            "Checkpoint section in a migration that is not a replication"),
        ["Checkpoint 1 first"] = (() => Replicating().Section(Kind.Checkpoint, payload: Cp(1)).ToArray(), "Checkpoint 1 where checkpoint 0 was due"),
        ["Checkpoint inside a checkpoint"] = (() => Replicating().Section(Kind.Checkpoint, payload: Cp(0)).Section(Kind.Checkpoint, payload: Cp(1)).ToArray(),
            "Checkpoint section inside checkpoint 0"),
        ["CheckpointRam outside"] = (() => Replicating().Section(Kind.CheckpointRam, payload: CheckpointRam(0)).ToArray(),
            "CheckpointRam section outside a checkpoint"),
        ["State outside a checkpoint"] = (() => Replicating().Section(Kind.State, id: "vcpu0"u8.ToArray(), payload: [1]).ToArray(),
            "State section outside a checkpoint"),
        ["End in a replication"] = (() => Replicating().End().ToArray(), "End section in a replication (it ends with Cancel)"),
        ["Ram after the checkpoints began"] = (() => Replicating().Section(Kind.Checkpoint, payload: Cp(0)).Section(Kind.Ram, payload: U32(0)).ToArray(),
            "Ram section after the checkpoints began"),
        ["unaligned page"] = (() => Replicating().Section(Kind.Checkpoint, payload: Cp(0)).Section(Kind.CheckpointRam, payload: CheckpointRam(100)).ToArray(),
            "CheckpointRam page 0x64 is not page-aligned"),
        ["pages out of order"] = (() => Replicating().Section(Kind.Checkpoint, payload: Cp(0)).Section(Kind.CheckpointRam, payload: CheckpointRam(Page, 0)).ToArray(),
            "CheckpointRam page 0x0 does not follow 0x1000"),
        ["page outside RAM"] = (() => Replicating().Section(Kind.Checkpoint, payload: Cp(0)).Section(Kind.CheckpointRam, payload: CheckpointRam(TestMemory.LowSize)).ToArray(),
            "CheckpointRam page 0x4000000 is not guest RAM"),
        ["CheckpointRam length"] = (() => Replicating().Section(Kind.Checkpoint, payload: Cp(0)).Section(Kind.CheckpointRam, payload: CheckpointRam(0)[..^1]).ToArray(),
            "CheckpointRam payload of 4107 bytes does not fit 1 pages (4108)"),
        ["CheckpointEnd of another epoch"] = (() => Replicating().Section(Kind.Checkpoint, payload: Cp(0))
            .Section(Kind.CheckpointEnd, payload: [.. U64(1), .. U64(0), .. U32(0), .. U32(0)]).ToArray(), "CheckpointEnd of 1 closes checkpoint 0"),
        ["CheckpointEnd counting a page that never came"] = (() => Replicating().Section(Kind.Checkpoint, payload: Cp(0))
            .Section(Kind.CheckpointEnd, payload: [.. U64(0), .. U64(1), .. U32(0), .. U32(0)]).ToArray(), "checkpoint 0 claims 1 pages, 0 arrived"),
        ["CheckpointEnd with a wrong digest"] = (() => Replicating().Section(Kind.Checkpoint, payload: Cp(0))
            .Section(Kind.CheckpointEnd, payload: [.. U64(0), .. U64(0), .. U32(0), .. U32(0)]).ToArray(), "checkpoint 0 digest 0x00000000 does not match its sections*"),
        ["flushed not below its checkpoint"] = (() => Replicating().Section(Kind.Checkpoint, payload: Cp(0, 0)).ToArray(),
            "Checkpoint 0 says disk writes are flushed up to epoch 0 (after -1, before 0 expected)"),
        ["CheckpointDisk outside"] = (() => Replicating().Section(Kind.CheckpointDisk, id: "rootfs"u8.ToArray(), payload: [.. U64(0), .. new byte[512]]).ToArray(),
            "CheckpointDisk section outside a checkpoint"),
        ["CheckpointDisk without a drive"] = (() => Replicating().Section(Kind.Checkpoint, payload: Cp(0))
            .Section(Kind.CheckpointDisk, payload: [.. U64(0), .. new byte[512]]).ToArray(), "CheckpointDisk section without a component id"),
        ["CheckpointDisk of half a sector"] = (() => Replicating().Section(Kind.Checkpoint, payload: Cp(0))
            .Section(Kind.CheckpointDisk, id: "rootfs"u8.ToArray(), payload: [.. U64(0), .. new byte[256]]).ToArray(),
            "CheckpointDisk payload of 264 bytes (an offset and whole sectors expected)"),
        ["CheckpointDisk off a sector boundary"] = (() => Replicating().Section(Kind.Checkpoint, payload: Cp(0))
            .Section(Kind.CheckpointDisk, id: "rootfs"u8.ToArray(), payload: [.. U64(100), .. new byte[512]]).ToArray(),
            "CheckpointDisk offset 100 is not a sector boundary"),
        ["DiskCopy in a migration"] = (() => RawStream.Started().Section(Kind.DiskCopy, id: "rootfs"u8.ToArray(), payload: [.. U64(4096), .. U64(0)]).ToArray(),
            "DiskCopy section in a migration that is not a replication"),
        ["DiskCopy once the checkpoints began"] = (() => Replicating().Section(Kind.Checkpoint, payload: Cp(0))
            .Section(Kind.DiskCopy, id: "rootfs"u8.ToArray(), payload: [.. U64(4096), .. U64(0)]).ToArray(), "DiskCopy section after the checkpoints began"),
        ["DiskCopy without a drive"] = (() => Replicating().Section(Kind.DiskCopy, payload: [.. U64(4096), .. U64(0)]).ToArray(),
            "DiskCopy section without a component id"),
        ["DiskCopy without its offset"] = (() => Replicating().Section(Kind.DiskCopy, id: "rootfs"u8.ToArray(), payload: U64(4096)).ToArray(),
            "DiskCopy payload of 8 bytes (a length, an offset and whole sectors expected)"),
        ["DiskCopy of half a sector"] = (() => Replicating().Section(Kind.DiskCopy, id: "rootfs"u8.ToArray(), payload: [.. U64(4096), .. U64(0), .. new byte[256]]).ToArray(),
            "DiskCopy payload of 272 bytes (a length, an offset and whole sectors expected)"),
        ["DiskCopy off a sector boundary"] = (() => Replicating().Section(Kind.DiskCopy, id: "rootfs"u8.ToArray(), payload: [.. U64(4096), .. U64(100), .. new byte[512]]).ToArray(),
            "DiskCopy offset 100 is not a sector boundary"),
        ["DiskCopy past the drive's end"] = (() => Replicating().Section(Kind.DiskCopy, id: "rootfs"u8.ToArray(), payload: [.. U64(1024), .. U64(1024), .. new byte[512]]).ToArray(),
            "DiskCopy of 512 bytes at 1024 is past the end of its 1024-byte drive"),
        ["Cancel inside a checkpoint"] = (() => Replicating().Section(Kind.Checkpoint, payload: Cp(0)).Section(Kind.Cancel).ToArray(), "Cancel section inside checkpoint 0"),
    };

    public static TheoryData<string> CaseNames => [.. Cases.Keys];

    [Theory]
    [MemberData(nameof(CaseNames))]
    public void A_malformed_checkpoint_is_refused_naming_its_fault(string name)
    {
        var (build, expected) = Cases[name];
        using var memory = TestMemory.Create();
        var e = Assert.Throws<MigrationStreamException>(() => ReadAll(build(), memory));
        if (expected.EndsWith('*')) Assert.StartsWith(expected[..^1], e.Message);
        else Assert.Equal(expected, e.Message);
    }

    /// <summary>
    /// Bit flips, cut-outs and repeated spans of a valid replication: the reader either refuses
    /// (MigrationStreamException, nothing else) or returns each checkpoint and each part of a disk
    /// copy exactly as it was sent, so a damaged checkpoint can never be committed by a standby nor
    /// a damaged copy written to its disk.
    /// </summary>
    [Fact]
    public void Mutated_replication_streams_never_yield_a_checkpoint_other_than_the_one_sent()
    {
        using var memory = TestMemory.Create();
        var valid = ValidReplication(memory);
        var sent = Checkpoints(ReadAll(valid, memory));
        var copied = ReadAll(valid, memory).OfType<MigrationSection.DiskCopy>().Select(Flat).ToArray();
        var random = new Random(18);
        int refused = 0;
        for (int i = 0; i < 3000; i++)
        {
            var mutated = Mutate(valid, random);
            List<MigrationSection> sections;
            try
            {
                sections = ReadAll(mutated, memory);
            }
            catch (MigrationStreamException)
            {
                refused++;
                continue;
            }
            foreach (var copy in sections.OfType<MigrationSection.DiskCopy>())
                Assert.True(copied.Any(c => c.SequenceEqual(Flat(copy))), $"mutation {i} delivered a disk copy at {copy.Offset} that was never sent");
            foreach (var (epoch, content) in Checkpoints(sections))
                Assert.True(sent.TryGetValue(epoch, out var original) && original.SequenceEqual(content),
                    $"mutation {i} delivered a checkpoint {epoch} that was never sent");
        }
        Assert.True(refused > 2500, $"only {refused} of 3000 mutations were refused");
    }

    private static byte[] Flat(MigrationSection.DiskCopy c) =>
        [.. System.Text.Encoding.UTF8.GetBytes(c.DriveId), .. U64((ulong)c.DriveLength), .. U64((ulong)c.Offset), .. c.Data];

    /// <summary>Each completed checkpoint's pages and states, flattened, by epoch.</summary>
    private static Dictionary<ulong, byte[]> Checkpoints(List<MigrationSection> sections)
    {
        var done = new Dictionary<ulong, byte[]>();
        var open = new List<byte>();
        foreach (var s in sections)
        {
            switch (s)
            {
                case MigrationSection.Checkpoint:
                    open.Clear();
                    break;
                case MigrationSection.CheckpointRam r:
                    foreach (var g in r.Gpas) open.AddRange(U64(g));
                    open.AddRange(r.Payload.AsSpan(r.DataOffset).ToArray());
                    break;
                case MigrationSection.CheckpointDisk d:
                    open.AddRange(System.Text.Encoding.UTF8.GetBytes(d.DriveId));
                    open.AddRange(U64((ulong)d.Offset));
                    open.AddRange(d.Data);
                    break;
                case MigrationSection.State st:
                    open.AddRange(System.Text.Encoding.UTF8.GetBytes(st.ComponentId));
                    open.AddRange(st.Data);
                    break;
                case MigrationSection.CheckpointEnd e:
                    done[e.Epoch] = open.ToArray();
                    break;
            }
        }
        return done;
    }

    private static byte[] Mutate(byte[] valid, Random random)
    {
        var bytes = valid.ToList();
        int at = random.Next(12, bytes.Count);
        switch (random.Next(3))
        {
            case 0:
                bytes[at] ^= (byte)(1 << random.Next(8));
                break;
            case 1:
                bytes.RemoveRange(at, Math.Min(bytes.Count - at, 1 + random.Next(64)));
                break;
            default:
                int length = Math.Min(bytes.Count - at, 1 + random.Next(64));
                bytes.InsertRange(at, bytes.GetRange(at, length));
                break;
        }
        return bytes.ToArray();
    }
}

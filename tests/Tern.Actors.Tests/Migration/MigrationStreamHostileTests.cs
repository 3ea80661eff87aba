using System.Text;
using Tern.Actors.Migration.Engine.Wire;
using Kind = Tern.Actors.Migration.Engine.Wire.MigrationSectionKind;

namespace Tern.Actors.Tests.Migration;

/// <summary>Every malformed stream is refused with a MigrationStreamException that names what was wrong and its value.</summary>
public sealed class MigrationStreamHostileTests
{
    private const ulong Page = TestMemory.Page;
    private static readonly byte[] OnePage = Enumerable.Repeat((byte)0x42, (int)Page).ToArray();

    private static byte[] Cut(RawStream s, int dropLast) => s.ToArray()[..^dropLast];

    /// <summary>Name -> (stream, expected message; a trailing '*' means "starts with").</summary>
    private static readonly Dictionary<string, (Func<byte[]> Stream, string Message)> Cases = new()
    {
        ["empty stream"] = (() => [], "stream ended inside the stream header (12 bytes missing)"),
        ["bad magic"] = (() => new RawStream().Header("TERN-MIX").ToArray(), "bad magic 0x5445524E2D4D4958 (expected TERN-MIG)"),
        ["format version 2"] = (() => new RawStream().Header(version: 2).ToArray(), "stream format version 2 unsupported (this Tern reads 1)"),
        ["truncated stream header"] = (() => Encoding.ASCII.GetBytes("TERN"), "stream ended inside the stream header (8 bytes missing)"),
        ["no section after the header"] = (() => new RawStream().Header().ToArray(), "stream ended before its End section"),
        ["no End"] = (() => RawStream.Started().ToArray(), "stream ended before its End section"),
        ["unknown section kind"] = (() => RawStream.Started().RawSection(15).ToArray(), "section kind 0x0f unknown"),
        ["section kind 0"] = (() => RawStream.Started().RawSection(0).ToArray(), "section kind 0x00 unknown"),
        ["Ram before Config"] = (() => new RawStream().Header().Ram([(0, Page, 1)]).ToArray(), "Ram section before the Config section"),
        ["End before Config"] = (() => new RawStream().Header().End().ToArray(), "End section before the Config section"),
        ["second Config"] = (() => RawStream.Started().Section(Kind.Config, payload: RawStream.ValidConfigJson).ToArray(), "second Config section"),
        ["component id too long"] = (() => RawStream.Started().Section(Kind.State, id: Encoding.ASCII.GetBytes(new string('a', 65))).ToArray(),
            "State section component id of 65 bytes is over the 64-byte limit"),
        ["component id length field too large"] = (() => RawStream.Started().RawSection((byte)Kind.State, idLength: 0xFFFF).ToArray(),
            "State section component id of 65535 bytes is over the 64-byte limit"),
        ["component id not UTF-8"] = (() => RawStream.Started().Section(Kind.State, id: [0x61, 0xC3, 0x28]).ToArray(),
            "State section component id is not UTF-8 (61C328)"),
        ["component id with a control character"] = (() => RawStream.Started().Section(Kind.State, id: [0x61, 0x01]).ToArray(),
            "State section component id 'a\\u0001' has a control character"),
        ["component id on a Ram section"] = (() => RawStream.Started().Section(Kind.Ram, id: [0x78]).ToArray(),
            "Ram section has a component id of 1 bytes (expected none)"),
        ["State without component id"] = (() => RawStream.Started().Section(Kind.State, payload: [1]).ToArray(), "State section without a component id"),
        ["Config over 1 MiB"] = (() => new RawStream().Header().Section(Kind.Config, declaredLength: (1 << 20) + 1).ToArray(),
            "Config payload of 1048577 bytes is over the 1 MiB limit"),
        ["State over 16 MiB"] = (() => RawStream.Started().Section(Kind.State, id: [0x61], declaredLength: (16 << 20) + 1).ToArray(),
            "State payload of 16777217 bytes is over the 16 MiB limit"),
        ["State length 2^64-1"] = (() => RawStream.Started().Section(Kind.State, id: [0x61], declaredLength: ulong.MaxValue).ToArray(),
            "State payload of 18446744073709551615 bytes is over the 16 MiB limit"),
        ["Ram table over its limit"] = (() => RawStream.Started().Section(Kind.Ram, declaredLength: 21509).ToArray(),
            "Ram payload of 21509 bytes is over the 21508-byte limit"),
        // Issue 15: the format says nothing follows End or Cancel; such bytes used to be ignored.
        ["bytes after End"] = (() => RawStream.Started().End().Bytes([1, 2, 3]).ToArray(), "3 bytes follow the End section"),
        ["bytes after Cancel"] = (() => RawStream.Started().Section(Kind.Cancel).Bytes([0xB7]).ToArray(), "1 bytes follow the Cancel section"),
        ["End with a payload"] = (() => RawStream.Started().Section(Kind.End, payload: [0]).ToArray(), "End section has a payload of 1 bytes (expected none)"),
        ["Cancel with a payload"] = (() => RawStream.Started().Section(Kind.Cancel, payload: [0, 0]).ToArray(), "Cancel section has a payload of 2 bytes (expected none)"),
        // Issue 17: the same-host shared RAM offer.
        ["SharedRam too long"] = (() => RawStream.Started().Section(Kind.SharedRam, payload: new byte[9]).ToArray(), "SharedRam payload of 9 bytes is over the 8-byte limit"),
        ["SharedRam too short"] = (() => RawStream.Started().Section(Kind.SharedRam, payload: new byte[7]).ToArray(), "SharedRam payload of 7 bytes (expected 8)"),
        ["bytes after SharedRam"] = (() => RawStream.Started().Section(Kind.SharedRam, payload: new byte[8]).Bytes([0xFD]).ToArray(), "1 bytes follow the SharedRam section"),
        ["SharedRam after a round"] = (() => RawStream.Started().RoundEnd(1, 0).Section(Kind.SharedRam, payload: new byte[8]).ToArray(),
            "SharedRam section after the migration began"),
        ["RoundEnd too long"] = (() => RawStream.Started().Section(Kind.RoundEnd, payload: new byte[13]).ToArray(), "RoundEnd payload of 13 bytes is over the 12-byte limit"),
        ["RoundEnd too short"] = (() => RawStream.Started().Section(Kind.RoundEnd, payload: new byte[11]).ToArray(), "RoundEnd payload of 11 bytes (expected 12)"),
        ["RoundEnd out of order"] = (() => RawStream.Started().RoundEnd(1, 0).RoundEnd(3, 0).ToArray(), "RoundEnd of round 3 after round 1"),
        ["RoundEnd 0"] = (() => RawStream.Started().RoundEnd(0, 0).ToArray(), "RoundEnd of round 0 after round 0"),
        ["section version 2"] = (() => RawStream.Started().Section(Kind.End, version: 2).ToArray(), "End section version 2 unsupported (expected 1)"),
        ["Config empty"] = (() => new RawStream().Header().Section(Kind.Config).ToArray(), "Config section is empty"),
        ["Config not JSON"] = (() => new RawStream().Header().Section(Kind.Config, payload: "{"u8.ToArray()).ToArray(), "Config section: fingerprint JSON is invalid*"),
        ["Config missing fields"] = (() => new RawStream().Header().Section(Kind.Config, payload: """{"machineType":"q35"}"""u8.ToArray()).ToArray(),
            "Config section: fingerprint JSON is invalid*"),
        ["section checksum"] = (() => RawStream.Started().Section(Kind.End, crc: 0).ToArray(), "End section checksum 0x00000000 does not match its bytes (0x*"),
        ["truncated section header"] = (() => Cut(RawStream.Started().End(), 10), "stream ended inside the End section header*"),
        ["truncated payload"] = (() => Cut(new RawStream().Header().Section(Kind.Config, payload: RawStream.ValidConfigJson), 10),
            "stream ended inside the Config section (6 bytes missing)"),
        ["truncated checksum"] = (() => Cut(RawStream.Started().End(), 1), "stream ended inside the End section checksum (1 bytes missing)"),
        ["Ram count 0"] = (() => RawStream.Started().Ram([]).ToArray(), "Ram section with no ranges"),
        ["Ram count 1025"] = (() => RawStream.Started().Ram([], count: 1025).ToArray(), "Ram range count 1025 is over the limit 1024"),
        ["Ram table shorter than its count"] = (() => RawStream.Started().Ram([(0, Page, 1)], count: 2).ToArray(), "Ram payload of 21 bytes is too short for its 2 ranges"),
        ["Ram payload without page checksums"] = (() => RawStream.Started().Ram([(0, Page, 0)], OnePage, editTable: t => t[..^4]).ToArray(),
            "Ram payload length 21 disagrees with its range table (25 bytes for 1 ranges and 1 data pages)"),
        ["Ram payload with extra bytes"] = (() => RawStream.Started().Ram([(0, Page, 1)], editTable: t => [.. t, 0, 0, 0, 0]).ToArray(),
            "Ram payload length 25 disagrees with its range table (21 bytes for 1 ranges and 0 data pages)"),
        ["Ram range flags"] = (() => RawStream.Started().Ram([(0, Page, 2)]).ToArray(), "Ram range 0x0+0x1000 has unknown flags 0x02"),
        ["Ram range of zero length"] = (() => RawStream.Started().Ram([(0x1000, 0, 1)]).ToArray(), "Ram range 0x1000+0x0 has zero length"),
        ["Ram address not page-aligned"] = (() => RawStream.Started().Ram([(0x1001, Page, 1)]).ToArray(), "Ram range 0x1001+0x1000 is not page-aligned"),
        ["Ram length not page-aligned"] = (() => RawStream.Started().Ram([(0x1000, 0x800, 1)]).ToArray(), "Ram range 0x1000+0x800 is not page-aligned"),
        ["Ram range in the PCI hole"] = (() => RawStream.Started().Ram([(0xB000_0000, Page, 1)]).ToArray(), "Ram range 0xb0000000+0x1000 is outside guest RAM"),
        ["Ram range above all RAM"] = (() => RawStream.Started().Ram([(TestMemory.HighStart + TestMemory.HighSize, Page, 1)]).ToArray(),
            "Ram range 0x101000000+0x1000 is outside guest RAM"),
        ["Ram range wrapping past 2^64"] = (() => RawStream.Started().Ram([(0xFFFF_FFFF_FFFF_F000, 2 * Page, 1)]).ToArray(),
            "Ram range 0xfffffffffffff000+0x2000 is outside guest RAM"),
        ["Ram range past the end of low RAM"] = (() => RawStream.Started().Ram([(TestMemory.LowSize - Page, 2 * Page, 1)]).ToArray(),
            "Ram range 0x3fff000+0x2000 runs past the end of its RAM region"),
        ["Ram range past the end of high RAM"] = (() => RawStream.Started().Ram([(TestMemory.HighStart + TestMemory.HighSize - Page, 2 * Page, 0)], [.. OnePage, .. OnePage]).ToArray(),
            "Ram range 0x100fff000+0x2000 runs past the end of its RAM region"),
        ["Ram data over 4 MiB in one range"] = (() => RawStream.Started().Ram([(0, 8 << 20, 0)], new byte[8 << 20]).ToArray(),
            "Ram range 0x0+0x800000 takes the section's data over the 4 MiB limit"),
        ["Ram data over 4 MiB in two ranges"] = (() => RawStream.Started().Ram([(0, 4 << 20, 0), (8 << 20, Page, 0)], new byte[(4 << 20) + 4096]).ToArray(),
            "Ram range 0x800000+0x1000 takes the section's data over the 4 MiB limit"),
        ["truncated page data"] = (() => Cut(RawStream.Started().Ram([(0, Page, 0)], OnePage), 100), "stream ended inside Ram page data (100 bytes missing)"),
        ["End with a page that failed its checksum"] = (() => RawStream.Started().Ram([(0x5000, Page, 0)], OnePage, editTable: FlipLastCrc).End().ToArray(),
            "End with 1 pages that failed their checksum and were not sent again, first at 0x5000"),
        ["End after a data page was damaged on the way"] = (() => DamageData(RawStream.Started().Ram([(TestMemory.HighStart, 2 * Page, 0)], [.. OnePage, .. OnePage]).End()),
            "End with 1 pages that failed their checksum and were not sent again, first at 0x100001000"),
    };

    private static byte[] FlipLastCrc(byte[] table)
    {
        table[^1] ^= 0x80;
        return table;
    }

    /// <summary>Flips a bit in the second data page (the last bytes before the End section).</summary>
    private static byte[] DamageData(RawStream s)
    {
        var bytes = s.ToArray();
        bytes[^(15 + 4 + 10)] ^= 1;
        return bytes;
    }

    public static TheoryData<string> CaseNames => [.. Cases.Keys];

    [Theory]
    [MemberData(nameof(CaseNames))]
    public void Hostile_stream_is_refused_with_a_message_naming_the_fault(string name)
    {
        var (build, expected) = Cases[name];
        using var memory = TestMemory.Create();
        var reader = new MigrationStreamReader(new MemoryStream(build()), memory);
        var e = Assert.Throws<MigrationStreamException>(() =>
        {
            while (reader.ReadNext() is not (MigrationSection.End or MigrationSection.Cancel)) { }
        });
        if (expected.EndsWith('*')) Assert.StartsWith(expected[..^1], e.Message);
        else Assert.Equal(expected, e.Message);
        Assert.Throws<InvalidOperationException>(() => reader.ReadNext());
    }

    [Fact]
    public void Once_the_source_s_ram_is_mapped_here_a_ram_section_is_refused_before_it_touches_memory()
    {
        using var memory = TestMemory.Create();
        TestMemory.FillEverything(memory, 0xC3);
        var stream = RawStream.Started().Ram([(0x1000, Page, 0)], OnePage).End();
        var reader = new MigrationStreamReader(stream.Open(), memory) { RamHandedOver = true };
        Assert.IsType<MigrationSection.Config>(reader.ReadNext());
        var e = Assert.Throws<MigrationStreamException>(() => reader.ReadNext());
        Assert.Equal("Ram section after the source handed its RAM over", e.Message);
        Assert.Equal(0xC3, memory.ReadSpan(0x1000, 1)[0]);
    }

    [Fact]
    public void A_bad_range_anywhere_in_the_table_keeps_every_byte_out_of_guest_memory()
    {
        using var memory = TestMemory.Create();
        TestMemory.FillEverything(memory, 0xC3);
        var stream = RawStream.Started().Ram([(0x1000, Page, 0), (0x8000, Page, 1), (0xB000_0000, Page, 1)], OnePage).End();
        var reader = new MigrationStreamReader(stream.Open(), memory);
        reader.ReadNext();
        Assert.Throws<MigrationStreamException>(() => reader.ReadNext());
        foreach (var r in memory.Regions)
            Assert.True(memory.ReadSpan(r.Start, (int)r.Size).IndexOfAnyExcept((byte)0xC3) < 0);
    }

    [Fact]
    public void A_bad_section_checksum_keeps_the_page_data_out_of_guest_memory()
    {
        using var memory = TestMemory.Create();
        var stream = RawStream.Started().Ram([(0x1000, Page, 0)], OnePage);
        var bytes = stream.ToArray();
        bytes[^((int)Page + 1)] ^= 0xFF; // the section crc, just before the page data
        var reader = new MigrationStreamReader(new MemoryStream(bytes), memory);
        reader.ReadNext();
        var e = Assert.Throws<MigrationStreamException>(() => reader.ReadNext());
        Assert.StartsWith("Ram section checksum", e.Message);
        Assert.True(memory.ReadSpan(0x1000, (int)Page).IndexOfAnyExcept((byte)0) < 0);
    }

    [Fact]
    public void A_failing_connection_is_reported_as_a_stream_fault_with_its_cause()
    {
        using var memory = TestMemory.Create();
        var reader = new MigrationStreamReader(new FailingStream(), memory);
        var e = Assert.Throws<MigrationStreamException>(() => reader.ReadNext());
        Assert.Equal("connection failed while reading the stream header", e.Message);
        Assert.IsType<IOException>(e.InnerException);
    }

    private sealed class FailingStream : Stream
    {
        public override int Read(Span<byte> buffer) => throw new IOException("connection reset by peer");
        public override int Read(byte[] buffer, int offset, int count) => Read(buffer.AsSpan(offset, count));
        public override bool CanRead => true;
        public override bool CanSeek => false;
        public override bool CanWrite => false;
        public override long Length => throw new NotSupportedException();
        public override long Position { get => throw new NotSupportedException(); set => throw new NotSupportedException(); }
        public override void Flush() { }
        public override long Seek(long offset, SeekOrigin origin) => throw new NotSupportedException();
        public override void SetLength(long value) => throw new NotSupportedException();
        public override void Write(byte[] buffer, int offset, int count) => throw new NotSupportedException();
    }
}

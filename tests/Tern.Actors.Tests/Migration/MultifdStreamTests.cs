using Tern.Actors.Migration.Engine.Source;
using Tern.Actors.Migration.Engine.Wire;
using Kind = Tern.Actors.Migration.Engine.Wire.MigrationSectionKind;

namespace Tern.Actors.Tests.Migration;

/// <summary>Multifd's Channel section, the data channel's rules, and how pages are split over channels.</summary>
public sealed class MultifdStreamTests
{
    private const ulong Page = TestMemory.Page;
    private static readonly Guid Session = Guid.Parse("0f1e2d3c-4b5a-6978-8796-a5b4c3d2e1f0");
    private static readonly byte[] OnePage = Enumerable.Repeat((byte)0x42, (int)Page).ToArray();

    private static RawStream DataHello(int index = 1, int count = 2) => new RawStream().Header().Channel(Session, count, index);

    private static readonly Dictionary<string, (Func<byte[]> Stream, bool DataChannel, string Message)> Cases = new()
    {
        ["main: Channel with index 1"] = (() => RawStream.Started().Channel(Session, 2, 1).ToArray(), false,
            "Channel section on the main socket has index 1 (expected 0)"),
        ["main: no data channels"] = (() => RawStream.Started().Channel(Session, 0, 0).ToArray(), false,
            "Channel section names 0 data channels (1..64 allowed)"),
        ["main: 65 data channels"] = (() => RawStream.Started().Channel(Session, 65, 0).ToArray(), false,
            "Channel section names 65 data channels (1..64 allowed)"),
        ["main: Channel twice"] = (() => RawStream.Started().Channel(Session, 2, 0).Channel(Session, 2, 0).ToArray(), false,
            "Channel section after the migration began"),
        ["main: Channel after a round"] = (() => RawStream.Started().RoundEnd(1, 0).Channel(Session, 2, 0).ToArray(), false,
            "Channel section after the migration began"),
        ["Channel payload too short"] = (() => RawStream.Started().Section(Kind.Channel, payload: new byte[19]).ToArray(), false,
            "Channel payload of 19 bytes (expected 20)"),
        ["Channel payload too long"] = (() => RawStream.Started().Section(Kind.Channel, payload: new byte[21]).ToArray(), false,
            "Channel payload of 21 bytes is over the 20-byte limit"),
        ["data: Config first"] = (() => RawStream.Started().ToArray(), true, "Config section on a data channel before its Channel section"),
        ["data: Ram first"] = (() => new RawStream().Header().Ram([(0, Page, 1)]).ToArray(), true, "Ram section on a data channel before its Channel section"),
        ["data: index 0"] = (() => DataHello(index: 0).ToArray(), true, "data channel index 0 is outside 1..2"),
        ["data: index past the count"] = (() => DataHello(index: 3).ToArray(), true, "data channel index 3 is outside 1..2"),
        ["data: State"] = (() => DataHello().Section(Kind.State, id: [0x61], payload: [1]).ToArray(), true, "State section on a data channel"),
        ["data: RoundEnd"] = (() => DataHello().RoundEnd(1, 0).ToArray(), true, "RoundEnd section on a data channel"),
        ["data: second Channel"] = (() => DataHello().Channel(Session, 2, 2).ToArray(), true, "Channel section on a data channel"),
        ["data: Cancel"] = (() => DataHello().Section(Kind.Cancel).ToArray(), true, "Cancel section on a data channel"),
        ["data: no End"] = (() => DataHello().Ram([(0, Page, 1)]).ToArray(), true, "stream ended before its End section"),
    };

    public static TheoryData<string> CaseNames => [.. Cases.Keys];

    [Theory]
    [MemberData(nameof(CaseNames))]
    public void Misplaced_or_malformed_channel_sections_are_refused(string name)
    {
        var (build, dataChannel, expected) = Cases[name];
        using var memory = TestMemory.Create();
        var stream = new MemoryStream(build());
        var reader = dataChannel
            ? MigrationStreamReader.ForDataChannel(stream, memory, new UnverifiedPages(memory))
            : new MigrationStreamReader(stream, memory);
        var e = Assert.Throws<MigrationStreamException>(() =>
        {
            while (reader.ReadNext() is not (MigrationSection.End or MigrationSection.Cancel)) { }
        });
        Assert.Equal(expected, e.Message);
    }

    [Fact]
    public void A_data_channel_carries_its_hello_pages_and_end()
    {
        using var source = TestMemory.Create();
        using var destination = TestMemory.Create();
        TestMemory.FillPage(source, 0x3000, seed: 7);
        var wire = new MemoryStream();
        var writer = new MigrationStreamWriter(wire, source);
        writer.WriteHeader();
        writer.WriteChannel(Session, 3, 2);
        writer.WriteRam([new PageRun(0x2000, 2)]);
        writer.WriteEnd();

        wire.Position = 0;
        var reader = MigrationStreamReader.ForDataChannel(wire, destination, new UnverifiedPages(destination));
        Assert.Equal(new MigrationSection.Channel(Session, 3, 2), reader.ReadNext());
        Assert.IsType<MigrationSection.RamApplied>(reader.ReadNext());
        Assert.IsType<MigrationSection.End>(reader.ReadNext());
        Assert.Null(TestMemory.FirstDifference(source, destination));
    }

    [Fact]
    public void The_main_End_waits_for_the_data_channels_and_counts_their_damaged_pages()
    {
        using var memory = TestMemory.Create();
        var ledger = new UnverifiedPages(memory);
        var damaged = DataHello().Ram([(0x5000, Page, 0)], OnePage, editTable: t => { t[^1] ^= 0x80; return t; }).End();
        var data = MigrationStreamReader.ForDataChannel(damaged.Open(), memory, ledger);
        var main = new MigrationStreamReader(RawStream.Started().Channel(Session, 1, 0).End().Open(), memory, ledger);
        bool waited = false;
        main.AwaitDataChannels = () =>
        {
            while (data.ReadNext() is not MigrationSection.End) { }
            waited = true;
        };

        Assert.IsType<MigrationSection.Config>(main.ReadNext());
        Assert.Equal(new MigrationSection.Channel(Session, 1, 0), main.ReadNext());
        var e = Assert.Throws<MigrationStreamException>(() => main.ReadNext());
        Assert.Equal("End with 1 pages that failed their checksum and were not sent again, first at 0x5000", e.Message);
        Assert.True(waited);
    }

    [Fact]
    public void Pages_go_to_channels_in_2_MiB_blocks_round_robin_and_none_is_lost()
    {
        var channels = new[] { new List<PageRun>(), new List<PageRun>(), new List<PageRun>() };
        const ulong mib = 1 << 20;
        // 1 MiB..7 MiB crosses three block boundaries; a run at 4 GiB; one page at the very end of block 5.
        ChannelPartition.Split([new PageRun(1 * mib, 6 * mib / Page), new PageRun(4UL << 30, 1), new PageRun(12 * mib - Page, 1)], channels);

        Assert.Equal([new PageRun(1 * mib, 256), new PageRun(6 * mib, 256)], channels[0]);
        Assert.Equal([new PageRun(2 * mib, 512)], channels[1]);
        Assert.Equal([new PageRun(4 * mib, 512), new PageRun(4UL << 30, 1), new PageRun(12 * mib - Page, 1)], channels[2]);
        Assert.Equal(6 * mib / Page + 2, (ulong)channels.Sum(c => c.Sum(r => (long)r.Pages)));
        Assert.All(channels.Select((list, i) => (list, i)), c =>
            Assert.All(c.list, r => Assert.Equal(c.i, ChannelPartition.ChannelOf(r.Gpa + r.Pages * Page - 1, 3))));
    }
}

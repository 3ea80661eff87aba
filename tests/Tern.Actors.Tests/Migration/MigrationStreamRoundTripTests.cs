using System.Net.Sockets;
using Tern.Actors.Migration.Engine.Wire;
using Tern.Kvm.Memory;

namespace Tern.Actors.Tests.Migration;

public sealed class MigrationStreamRoundTripTests
{
    private const ulong Page = TestMemory.Page;

    [Fact]
    public void Every_section_round_trips_and_guest_memory_arrives_identical_in_both_regions()
    {
        using var source = RoundTripFixtures.SourceMemory();
        using var destination = TestMemory.Create();
        TestMemory.FillEverything(destination, 0x5A); // zero ranges must really clear what was there

        var bytes = new MemoryStream();
        var writer = new MigrationStreamWriter(bytes, source);
        writer.WriteHeader();
        writer.WriteConfig(RoundTripFixtures.Fingerprint());
        var round1 = writer.WriteRam(TestMemory.AllPages(source));
        Assert.Equal((1u, round1.PagesSent), writer.WriteRoundEnd());

        // Round 2: the guest rewrote a few pages, one of them above 4 GiB, and zeroed another.
        TestMemory.FillPage(source, 2 << 20, seed: 99);
        TestMemory.FillPage(source, TestMemory.HighStart + 5 * Page, seed: 99);
        source.WriteSpan(1 << 20, (int)Page).Clear();
        var round2 = writer.WriteRam([new PageRun(1 << 20, 1), new PageRun(2 << 20, 1), new PageRun(TestMemory.HighStart + 5 * Page, 1)]);
        writer.WriteState("vcpu0", 3, [1, 2, 3]);
        writer.WriteState("ioapic", 1, []);
        Assert.Equal((2u, 3UL), writer.WriteRoundEnd());
        writer.WriteEnd();
        Assert.Equal(bytes.Length, writer.BytesWritten);

        bytes.Position = 0;
        var reader = new MigrationStreamReader(bytes, destination);
        var config = Assert.IsType<MigrationSection.Config>(reader.ReadNext());
        Assert.Equal(RoundTripFixtures.Fingerprint(), config.Fingerprint);
        var received = new RamTransferStats();
        MigrationSection next;
        while ((next = reader.ReadNext()) is MigrationSection.RamApplied ram) received += ram.Stats;
        Assert.Equal(round1, received);
        Assert.Equal(new MigrationSection.RoundEnd(1, round1.PagesSent, round1.PagesSent), next);

        Assert.Equal(round2, Assert.IsType<MigrationSection.RamApplied>(reader.ReadNext()).Stats);
        var vcpu = Assert.IsType<MigrationSection.State>(reader.ReadNext());
        Assert.Equal(("vcpu0", 3u, "010203"), (vcpu.ComponentId, vcpu.Version, Convert.ToHexString(vcpu.Data)));
        var ioapic = Assert.IsType<MigrationSection.State>(reader.ReadNext());
        Assert.Equal(("ioapic", 1u, 0), (ioapic.ComponentId, ioapic.Version, ioapic.Data.Length));
        Assert.Equal(new MigrationSection.RoundEnd(2, 3, 3), reader.ReadNext());
        Assert.Same(MigrationSection.End.Instance, reader.ReadNext());

        Assert.Null(TestMemory.FirstDifference(source, destination));
        Assert.Equal(bytes.Length, reader.BytesRead);
        Assert.Equal(writer.RamTotals, reader.RamTotals);
        Assert.Throws<InvalidOperationException>(() => reader.ReadNext());
    }

    [Fact]
    public void Zero_pages_travel_as_zero_ranges_without_data()
    {
        using var source = RoundTripFixtures.SourceMemory();
        var bytes = new MemoryStream();
        var writer = new MigrationStreamWriter(bytes, source);
        var stats = writer.WriteRam(TestMemory.AllPages(source));

        ulong totalPages = (TestMemory.LowSize + TestMemory.HighSize) / Page;
        Assert.Equal((ulong)RoundTripFixtures.DataPages.Count, stats.NormalPages);
        Assert.Equal(totalPages - stats.NormalPages, stats.ZeroPages);
        Assert.Equal((ulong)bytes.Length, stats.Bytes);
        ulong overhead = stats.Bytes - stats.NormalBytes;
        Assert.True(overhead < 64 << 10, $"{overhead} bytes besides page data");
    }

    [Fact]
    public void Zero_ranges_clear_what_the_destination_held_and_leave_pages_it_never_touched_unbacked()
    {
        using var source = TestMemory.Create();
        using var destination = new GuestMemory([(0, TestMemory.LowSize), (TestMemory.HighStart, TestMemory.HighSize)], new GuestMemoryBacking { TransparentHugePages = false });
        ulong[] dirtied = [0, 7 * Page, 5 << 20, TestMemory.HighStart + 3 * Page];
        foreach (ulong gpa in dirtied) TestMemory.FillPage(destination, gpa, seed: 3);

        var bytes = new MemoryStream();
        var writer = new MigrationStreamWriter(bytes, source);
        writer.WriteHeader();
        writer.WriteConfig(RoundTripFixtures.Fingerprint());
        writer.WriteRam(TestMemory.AllPages(source));
        bytes.Position = 0;
        var reader = new MigrationStreamReader(bytes, destination);
        Assert.IsType<MigrationSection.Config>(reader.ReadNext());
        Assert.IsType<MigrationSection.RamApplied>(reader.ReadNext());

        // Only the pages it wrote were ever backed: the others were not even read (which would back them with the zero page).
        var backed = new bool[(int)(TestMemory.LowSize / Page)];
        Assert.True(destination.TryGetBacked(0, backed));
        Assert.Equal([0, 7, (5 << 20) / (int)Page], backed.Index().Where(b => b.Item).Select(b => b.Index));
        Assert.Null(TestMemory.FirstDifference(source, destination));
    }

    [Fact]
    public void All_zero_memory_costs_a_few_hundred_bytes()
    {
        using var source = TestMemory.Create();
        var bytes = new MemoryStream();
        var stats = new MigrationStreamWriter(bytes, source).WriteRam(TestMemory.AllPages(source));
        Assert.Equal(0UL, stats.NormalPages);
        Assert.Equal((1, 2), (stats.Sections, stats.Ranges)); // one zero range per region
        Assert.True(bytes.Length < 200, $"{bytes.Length} bytes");
    }

    [Fact]
    public void Sections_stay_within_4_MiB_of_data_and_1024_ranges()
    {
        using var source = TestMemory.Create();
        for (ulong a = 0; a < 16 << 20; a += 2 * Page) TestMemory.FillPage(source, a, 1); // data, zero, data, zero ...
        for (ulong a = 32 << 20; a < 42 << 20; a += Page) TestMemory.FillPage(source, a, 2); // 10 MiB of data

        var bytes = new MemoryStream();
        var writer = new MigrationStreamWriter(bytes, source);
        writer.WriteHeader();
        writer.WriteConfig(RoundTripFixtures.Fingerprint());
        var stats = writer.WriteRam(TestMemory.AllPages(source));
        writer.WriteEnd();

        bytes.Position = 0;
        using var destination = TestMemory.Create();
        var reader = new MigrationStreamReader(bytes, destination);
        reader.ReadNext();
        MigrationSection section;
        while ((section = reader.ReadNext()) is MigrationSection.RamApplied ram)
        {
            Assert.InRange(ram.Stats.Ranges, 1, 1024);
            Assert.InRange(ram.Stats.NormalPages, 0UL, 1024UL);
        }
        Assert.IsType<MigrationSection.End>(section);
        // 2048 alternating pages need 4096 ranges (4 sections); 2560 contiguous pages need 3 sections of data.
        Assert.InRange(stats.Sections, 7, 9);
        Assert.Null(TestMemory.FirstDifference(source, destination));
    }

    [Fact]
    public void A_page_the_guest_changes_while_it_is_sent_is_unverified_until_the_next_round_resends_it()
    {
        using var source = RoundTripFixtures.SourceMemory();
        using var destination = TestMemory.Create();
        ulong racedPage = 3 << 20;
        var bytes = new MemoryStream();
        // The "guest" writes the page after its checksum was taken, while the socket copies it.
        var racing = new RacingStream(bytes, () => TestMemory.FillPage(source, racedPage, seed: 7));
        var writer = new MigrationStreamWriter(racing, source);
        writer.WriteHeader();
        writer.WriteConfig(RoundTripFixtures.Fingerprint());
        racing.Armed = true;
        writer.WriteRam([new PageRun(racedPage, 1)]);
        racing.Armed = false;
        writer.WriteRoundEnd();
        writer.WriteRam([new PageRun(racedPage, 1)]); // dirty, so sent again
        writer.WriteEnd();

        bytes.Position = 0;
        var reader = new MigrationStreamReader(bytes, destination);
        reader.ReadNext();
        var first = Assert.IsType<MigrationSection.RamApplied>(reader.ReadNext());
        Assert.Equal(1UL, first.Stats.ChecksumFailures);
        Assert.Equal(1, reader.Unverified.Count);
        Assert.Equal(racedPage, reader.Unverified.First());
        reader.ReadNext();
        Assert.Equal(0UL, Assert.IsType<MigrationSection.RamApplied>(reader.ReadNext()).Stats.ChecksumFailures);
        Assert.Equal(0, reader.Unverified.Count);
        Assert.IsType<MigrationSection.End>(reader.ReadNext());
        Assert.Equal(source.ReadSpan(racedPage, (int)Page), destination.ReadSpan(racedPage, (int)Page));
    }

    [Fact]
    public void A_later_zero_range_also_verifies_an_unverified_page()
    {
        using var destination = TestMemory.Create();
        var data = new byte[Page];
        data.AsSpan().Fill(3);
        var stream = RawStream.Started()
            .Ram([(0x5000, Page, 0)], data, editTable: t => { t[^1] ^= 1; return t; })
            .Ram([(0x4000, 2 * Page, 1)])
            .End();
        var reader = new MigrationStreamReader(stream.Open(), destination);
        reader.ReadNext();
        Assert.Equal(1UL, Assert.IsType<MigrationSection.RamApplied>(reader.ReadNext()).Stats.ChecksumFailures);
        reader.ReadNext();
        Assert.IsType<MigrationSection.End>(reader.ReadNext());
        Assert.True(destination.ReadSpan(0x5000, (int)Page).IndexOfAnyExcept((byte)0) < 0);
    }

    [Fact]
    public void Cancel_ends_the_stream()
    {
        using var source = RoundTripFixtures.SourceMemory();
        var bytes = new MemoryStream();
        var writer = new MigrationStreamWriter(bytes, source);
        writer.WriteHeader();
        writer.WriteConfig(RoundTripFixtures.Fingerprint());
        writer.WriteRam([new PageRun(1 << 20, 4)]);
        writer.WriteCancel();

        bytes.Position = 0;
        using var destination = TestMemory.Create();
        var reader = new MigrationStreamReader(bytes, destination);
        reader.ReadNext();
        reader.ReadNext();
        Assert.Same(MigrationSection.Cancel.Instance, reader.ReadNext());
        Assert.Throws<InvalidOperationException>(() => reader.ReadNext());
    }

    [Fact]
    public void Writer_refuses_runs_outside_RAM_and_bad_component_ids_without_writing()
    {
        using var source = TestMemory.Create();
        var bytes = new MemoryStream();
        var writer = new MigrationStreamWriter(bytes, source);
        Assert.Throws<ArgumentException>(() => writer.WriteRam([new PageRun(0, 1), new PageRun(TestMemory.LowSize, 1)]));
        Assert.Throws<ArgumentException>(() => writer.WriteRam([new PageRun(TestMemory.LowSize - Page, 2)]));
        Assert.Throws<ArgumentException>(() => writer.WriteRam([new PageRun(100, 1)]));
        Assert.Throws<ArgumentException>(() => writer.WriteState(new string('x', 65), 1, []));
        Assert.Throws<ArgumentException>(() => writer.WriteState("", 1, []));
        Assert.Throws<ArgumentException>(() => writer.WriteState("a\nb", 1, []));
        Assert.Throws<ArgumentException>(() => writer.WriteConfig(ReadOnlySpan<byte>.Empty));
        Assert.Equal(0, bytes.Length);
    }

    [Fact]
    public async Task Stream_and_back_channel_share_one_unix_socket()
    {
        using var source = RoundTripFixtures.SourceMemory();
        using var destination = TestMemory.Create();
        string path = Path.Combine(Path.GetTempPath(), $"tern-mig-{Guid.NewGuid():N}.sock");
        using var listener = new Socket(AddressFamily.Unix, SocketType.Stream, ProtocolType.Unspecified);
        listener.Bind(new UnixDomainSocketEndPoint(path));
        listener.Listen(1);
        try
        {
            var incoming = Task.Run(() =>
            {
                using var socket = listener.Accept();
                using var net = new NetworkStream(socket);
                var reader = new MigrationStreamReader(net, destination);
                reader.ReadNext();
                MigrationBackChannel.Write(net, new MigrationReply.Ack(0));
                while (reader.ReadNext() is not MigrationSection.End) { }
                MigrationBackChannel.Write(net, MigrationReply.Done.Instance);
            });

            using var client = new Socket(AddressFamily.Unix, SocketType.Stream, ProtocolType.Unspecified);
            client.Connect(new UnixDomainSocketEndPoint(path));
            using var stream = new NetworkStream(client);
            var writer = new MigrationStreamWriter(stream, source);
            writer.WriteHeader();
            writer.WriteConfig(RoundTripFixtures.Fingerprint());
            Assert.Equal(new MigrationReply.Ack(0), MigrationBackChannel.Read(stream));
            writer.WriteRam(TestMemory.AllPages(source));
            writer.WriteEnd();
            Assert.Same(MigrationReply.Done.Instance, MigrationBackChannel.Read(stream));
            await incoming.WaitAsync(TimeSpan.FromSeconds(30));
            Assert.Null(TestMemory.FirstDifference(source, destination));
        }
        finally
        {
            File.Delete(path);
        }
    }

    /// <summary>Runs an action (the racing guest) just before the first large write reaches the inner stream.</summary>
    private sealed class RacingStream(Stream inner, Action race) : Stream
    {
        public bool Armed;

        public override void Write(ReadOnlySpan<byte> buffer)
        {
            if (Armed && buffer.Length == (int)Page)
            {
                race();
                Armed = false;
            }
            inner.Write(buffer);
        }

        public override void Write(byte[] buffer, int offset, int count) => Write(buffer.AsSpan(offset, count));
        public override void Flush() => inner.Flush();
        public override bool CanRead => false;
        public override bool CanSeek => false;
        public override bool CanWrite => true;
        public override long Length => throw new NotSupportedException();
        public override long Position { get => throw new NotSupportedException(); set => throw new NotSupportedException(); }
        public override int Read(byte[] buffer, int offset, int count) => throw new NotSupportedException();
        public override long Seek(long offset, SeekOrigin origin) => throw new NotSupportedException();
        public override void SetLength(long value) => throw new NotSupportedException();
    }
}

using Tern.Actors.Tests.Support;
using System.Diagnostics;
using System.Net.Sockets;
using Tern.Actors.Migration.Engine.Wire;
using Tern.Kvm.Memory;
using Xunit.Abstractions;

namespace Tern.Actors.Tests.Migration;

/// <summary>
/// Throughput of the RAM path on half-zero memory, printed to the test output. 256 MiB by default
/// so the suite stays quick; set TERN_MIGRATION_BENCH_MIB=1024 for the 1 GiB figure.
/// </summary>
[Collection(AloneCollection.Name)] // its allocation count is per thread: other tests running beside it disturbed it
public sealed class MigrationStreamThroughputTests(ITestOutputHelper output)
{
    private const int Page = 4096;
    private static readonly ulong Size = (ulong.TryParse(Environment.GetEnvironmentVariable("TERN_MIGRATION_BENCH_MIB"), out ulong mib) ? mib : 256) << 20;

    /// <summary>Alternating 2 MiB blocks of data and zeros, or alternating single pages; every page touched.</summary>
    private static GuestMemory HalfZero(bool alternatePages)
    {
        var memory = new GuestMemory([(0, Size)]);
        ulong block = alternatePages ? Page : 2UL << 20;
        for (ulong a = 0; a < Size; a += block)
        {
            var span = memory.WriteSpan(a, (int)block);
            if ((a / block) % 2 == 0) span.Fill(0x5A);
            else span.Clear();
        }
        return memory;
    }

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public void Writer_into_a_null_stream_allocates_nothing_per_page(bool alternatePages)
    {
        using var memory = HalfZero(alternatePages);
        var writer = new MigrationStreamWriter(Stream.Null, memory);
        PageRun[] runs = [new(0, Size / Page)];
        writer.WriteRam(runs); // warm up (JIT, first touch of the page tables)

        long allocated = GC.GetAllocatedBytesForCurrentThread();
        var best = TimeSpan.MaxValue;
        RamTransferStats stats = default;
        for (int rep = 0; rep < 3; rep++)
        {
            var clock = Stopwatch.StartNew();
            stats = writer.WriteRam(runs);
            best = clock.Elapsed < best ? clock.Elapsed : best;
        }
        allocated = GC.GetAllocatedBytesForCurrentThread() - allocated;

        Assert.Equal(Size / Page / 2, stats.NormalPages);
        Assert.Equal(Size / Page / 2, stats.ZeroPages);
        Assert.True(allocated < 1024, $"{allocated} bytes allocated for 3 x {Size / Page} pages");
        output.WriteLine($"{(alternatePages ? "alternating pages" : "2 MiB blocks")}: {Size >> 20} MiB of guest RAM in {best.TotalMilliseconds:F0} ms (best of 3) = " +
            $"{Size / best.TotalSeconds / (1 << 30):F2} GiB/s of RAM, {stats.Bytes / best.TotalSeconds / (1 << 30):F2} GiB/s on the wire; " +
            $"{stats.Sections} sections, {stats.Ranges} ranges, {allocated} bytes allocated");
    }

    [Fact]
    public async Task Writer_to_reader_over_a_unix_socket()
    {
        using var source = HalfZero(alternatePages: false);
        using var destination = new GuestMemory([(0, Size)]);
        string path = Path.Combine(Path.GetTempPath(), $"tern-bench-{Guid.NewGuid():N}.sock");
        using var listener = new Socket(AddressFamily.Unix, SocketType.Stream, ProtocolType.Unspecified);
        listener.Bind(new UnixDomainSocketEndPoint(path));
        listener.Listen(1);
        try
        {
            var clock = Stopwatch.StartNew();
            var receive = Task.Run(() =>
            {
                using var socket = listener.Accept();
                using var net = new NetworkStream(socket);
                var reader = new MigrationStreamReader(net, destination);
                while (reader.ReadNext() is not MigrationSection.End) { }
            });
            using (var client = new Socket(AddressFamily.Unix, SocketType.Stream, ProtocolType.Unspecified))
            {
                client.Connect(new UnixDomainSocketEndPoint(path));
                using var stream = new NetworkStream(client);
                var writer = new MigrationStreamWriter(stream, source);
                writer.WriteHeader();
                writer.WriteConfig(RoundTripFixtures.Fingerprint());
                writer.WriteRam([new PageRun(0, Size / Page)]);
                writer.WriteEnd();
            }
            await receive.WaitAsync(TimeSpan.FromMinutes(2));
            clock.Stop();
            Assert.Null(TestMemory.FirstDifference(source, destination));
            output.WriteLine($"unix socket, 2 MiB blocks: {Size >> 20} MiB of guest RAM in {clock.Elapsed.TotalMilliseconds:F0} ms = " +
                $"{Size / clock.Elapsed.TotalSeconds / (1 << 30):F2} GiB/s of RAM (writer and reader on this machine's 2 cores)");
        }
        finally
        {
            File.Delete(path);
        }
    }
}

using System.Net.Sockets;
using Tern.Kvm.Memory;
using Xunit;

namespace Tern.Kvm.Tests.Memory;

/// <summary>Shared RAM handed to another mapping over a UNIX socket (SCM_RIGHTS), and the holes a memfd reports.</summary>
public sealed class RamHandoverTests : IDisposable
{
    private const ulong Page = 4096;
    private static readonly GuestMemoryBacking Shared = new() { Shared = true };
    private static readonly TimeSpan Timeout = TimeSpan.FromSeconds(5);
    private readonly string _dir = Directory.CreateTempSubdirectory("tern-handover-test-").FullName;

    public void Dispose() => Directory.Delete(_dir, recursive: true);

    /// <summary>A connected pair of UNIX stream sockets, as the migration's listener and connect give them.</summary>
    private (Socket Sender, Socket Receiver) Pair()
    {
        var endpoint = new UnixDomainSocketEndPoint(Path.Combine(_dir, $"s-{Guid.NewGuid():N}"));
        using var listener = new Socket(AddressFamily.Unix, SocketType.Stream, ProtocolType.Unspecified);
        listener.Bind(endpoint);
        listener.Listen(1);
        var sender = new Socket(AddressFamily.Unix, SocketType.Stream, ProtocolType.Unspecified);
        sender.Connect(endpoint);
        return (sender, listener.Accept());
    }

    [Fact]
    public void Destination_maps_the_source_s_pages_and_both_see_each_other_s_writes()
    {
        using var source = new GuestMemory([(0, 64 * Page), (1UL << 32, 16 * Page)], Shared);
        using var destination = new GuestMemory([(0, 64 * Page), (1UL << 32, 16 * Page)], Shared);
        source.Write(5 * Page + 3, "low"u8);
        source.Write((1UL << 32) + 2 * Page, "high"u8);
        destination.Write(5 * Page + 3, "own"u8); // the destination's own RAM, replaced by the source's
        var (tx, rx) = Pair();
        using (tx)
        using (rx)
        {
            RamHandover.Send(tx.SafeHandle, source, Timeout);
            RamHandover.Receive(rx.SafeHandle, destination, Timeout);
        }
        Assert.Equal("low"u8.ToArray(), destination.ReadSpan(5 * Page + 3, 3).ToArray());
        Assert.Equal("high"u8.ToArray(), destination.ReadSpan((1UL << 32) + 2 * Page, 4).ToArray());
        destination.Write(9 * Page, "back"u8);
        Assert.Equal("back"u8.ToArray(), source.ReadSpan(9 * Page, 4).ToArray());
        // Discarding either side must not punch the other's pages out of the file they share.
        foreach (var r in source.Regions) r.Discard();
        Assert.Equal("low"u8.ToArray(), destination.ReadSpan(5 * Page + 3, 3).ToArray());
    }

    [Fact]
    public void A_descriptor_of_another_size_is_refused_naming_both_sizes()
    {
        using var source = new GuestMemory([(0, 64 * Page)], Shared);
        using var destination = new GuestMemory([(0, 128 * Page)], Shared);
        destination.Write(0, "own"u8);
        var (tx, rx) = Pair();
        using (tx)
        using (rx)
        {
            RamHandover.Send(tx.SafeHandle, source, Timeout);
            var e = Assert.Throws<GuestMemoryBackingException>(() => RamHandover.Receive(rx.SafeHandle, destination, Timeout));
            Assert.Contains($"{64 * Page} bytes", e.Message);
            Assert.Contains($"{128 * Page} bytes", e.Message);
            Assert.DoesNotContain('\n', e.Message);
        }
        Assert.Equal("own"u8.ToArray(), destination.ReadSpan(0, 3).ToArray()); // still its own RAM
    }

    [Fact]
    public void Private_ram_can_neither_be_handed_over_nor_receive()
    {
        using var anonymous = new GuestMemory([(0, 16 * Page)]);
        Assert.False(anonymous.CanHandOver);
        var (tx, rx) = Pair();
        using (tx)
        using (rx)
            Assert.Throws<GuestMemoryBackingException>(() => RamHandover.Receive(rx.SafeHandle, anonymous, Timeout));
    }
}

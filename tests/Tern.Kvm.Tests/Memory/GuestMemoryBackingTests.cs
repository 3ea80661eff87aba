using Tern.Kvm.Memory;
using Xunit;

namespace Tern.Kvm.Tests.Memory;

/// <summary>What the host backs: fresh RAM is unbacked, writes and Populate back it, Discard unbacks it again.</summary>
public sealed class GuestMemoryBackingTests
{
    private const ulong Page = 4096;

    [Fact]
    public void FreshRamIsUnbackedUntilWrittenOrPopulated()
    {
        using var memory = new GuestMemory([(0, 64 * Page)], new GuestMemoryBacking { TransparentHugePages = false });
        var backed = new bool[64];
        Assert.True(memory.TryGetBacked(0, backed));
        Assert.All(backed, Assert.False);

        memory.Write(5 * Page + 100, [1, 2, 3]);
        memory.Populate(10 * Page, 3 * Page);

        Assert.True(memory.TryGetBacked(0, backed));
        var expected = Enumerable.Range(0, 64).Select(p => p is 5 or 10 or 11 or 12).ToArray();
        Assert.Equal(expected, backed);
        Assert.All(Enumerable.Range(10, 3), p => Assert.Equal(0, memory.ReadSpan((ulong)p * Page, (int)Page)[17]));
    }

    [Fact]
    public void DiscardedRamIsUnbackedAgain()
    {
        using var memory = new GuestMemory([(0, 16 * Page)], new GuestMemoryBacking { TransparentHugePages = false });
        memory.Populate(0, 16 * Page);
        memory.Regions[0].Discard();
        var backed = new bool[16];
        Assert.True(memory.TryGetBacked(0, backed));
        Assert.All(backed, Assert.False);
    }

    [Fact]
    public void ViewsOutsideRamAreRefused()
    {
        using var memory = new GuestMemory([(0, 16 * Page)], new GuestMemoryBacking { TransparentHugePages = false });
        Assert.Throws<GuestMemoryException>(() => memory.TryGetBacked(8 * Page, new bool[9]));
        Assert.Throws<GuestMemoryException>(() => memory.Populate(15 * Page, 2 * Page));
    }
}

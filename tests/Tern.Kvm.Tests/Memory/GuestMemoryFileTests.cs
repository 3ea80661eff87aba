using Tern.Kvm.Memory;
using Xunit;

namespace Tern.Kvm.Tests.Memory;

/// <summary>RAM mapped from a file (-mem-path), shared (mem-share) and preallocated (-mem-prealloc).</summary>
public sealed class GuestMemoryFileTests : IDisposable
{
    private const ulong Page = 4096;
    private readonly string _dir = Directory.CreateTempSubdirectory("tern-ram-test-").FullName;

    public void Dispose() => Directory.Delete(_dir, recursive: true);

    [Fact]
    public void Shared_named_file_holds_what_the_guest_wrote_and_blocks_migration()
    {
        string file = Path.Combine(_dir, "ram");
        using (var memory = new GuestMemory([(0, 16 * Page), (1UL << 32, 16 * Page)], new GuestMemoryBacking { Path = file, Shared = true }))
        {
            memory.Write(3 * Page + 5, "low"u8);
            memory.Write((1UL << 32) + 2 * Page, "high"u8);
            Assert.Contains(file, memory.MigrationBlocker);
            Assert.False(memory.TryGetBacked(0, new bool[16])); // another process may have written any page
        }
        var bytes = File.ReadAllBytes(file);
        Assert.Equal(32 * (int)Page, bytes.Length);
        Assert.Equal("low"u8.ToArray(), bytes[(3 * (int)Page + 5)..(3 * (int)Page + 8)]);
        Assert.Equal("high"u8.ToArray(), bytes[(18 * (int)Page)..(18 * (int)Page + 4)]); // the high region follows the low one in the file
    }

    [Fact]
    public void Private_named_file_is_read_but_never_written()
    {
        string file = Path.Combine(_dir, "ram");
        File.WriteAllBytes(file, Enumerable.Repeat((byte)0xAB, 16 * (int)Page).ToArray());
        using (var memory = new GuestMemory([(0, 16 * Page)], new GuestMemoryBacking { Path = file }))
        {
            Assert.Equal(0xAB, memory.ReadSpan(7 * Page, 1)[0]);
            memory.Write(7 * Page, [1]);
            Assert.Equal(1, memory.ReadSpan(7 * Page, 1)[0]);
            Assert.Null(memory.MigrationBlocker);
            Assert.False(memory.TryGetBacked(0, new bool[16])); // an untouched page holds the file's bytes, not zero
        }
        Assert.All(File.ReadAllBytes(file), b => Assert.Equal(0xAB, b));
    }

    [Fact]
    public void Directory_gets_a_file_nobody_else_can_reach_and_that_leaves_nothing_behind()
    {
        using var memory = new GuestMemory([(0, 16 * Page)], new GuestMemoryBacking { Path = _dir, Shared = true });
        memory.Write(0, [7]);
        Assert.Empty(Directory.GetFileSystemEntries(_dir));
        Assert.Null(memory.MigrationBlocker);
        Assert.Equal(7, memory.ReadSpan(0, 1)[0]);
    }

    [Fact]
    public void Prealloc_backs_every_page_before_the_guest_runs()
    {
        using var memory = new GuestMemory([(0, 256 * Page), (1UL << 32, 64 * Page)], new GuestMemoryBacking { Prealloc = true, TransparentHugePages = false });
        var backed = new bool[256];
        Assert.True(memory.TryGetBacked(0, backed));
        Assert.All(backed, Assert.True);
        Assert.True(memory.TryGetBacked(1UL << 32, backed.AsSpan(0, 64)));
        Assert.All(backed[..64], Assert.True);
        Assert.All(Enumerable.Range(0, 256), p => Assert.Equal(0, memory.ReadSpan((ulong)p * Page, (int)Page)[100])); // backed, still zero
    }

    [Fact]
    public void Shared_memfd_is_given_back_when_discarded()
    {
        using var memory = new GuestMemory([(0, 64 * Page)], new GuestMemoryBacking { Shared = true, TransparentHugePages = false });
        memory.Write(9 * Page, [42]);
        memory.Regions[0].Discard();
        Assert.Equal(0, memory.ReadSpan(9 * Page, 1)[0]); // punched out of the memfd, not just unmapped
    }

    [Fact]
    public void A_memfd_reports_its_holes_so_never_written_pages_are_not_read()
    {
        using var memory = new GuestMemory([(0, 64 * Page), (1UL << 32, 64 * Page)], new GuestMemoryBacking { Shared = true });
        memory.Write(3 * Page, [1]);
        memory.Write((1UL << 32) + 63 * Page, [2]);
        var backed = new bool[64];
        Assert.True(memory.TryGetBacked(0, backed));
        Assert.Equal([3], Enumerable.Range(0, 64).Where(i => backed[i]));
        Assert.True(memory.TryGetBacked(1UL << 32, backed));
        Assert.Equal([63], Enumerable.Range(0, 64).Where(i => backed[i]));
    }
}

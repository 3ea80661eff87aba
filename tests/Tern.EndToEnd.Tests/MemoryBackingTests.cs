using System.Text;
using System.Text.Json.Nodes;
using Tern.EndToEnd.Tests.Qmp;
using Tern.EndToEnd.Tests.Support;
using Tern.Host.Qmp.Client;
using Tern.TestSupport.Qmp;
using static Tern.EndToEnd.Tests.Migration.MigrationVm;

namespace Tern.EndToEnd.Tests;

/// <summary>
/// StratoVirt's -mem-path, -mem-prealloc and -machine mem-share/dump-guest-core, seen where they
/// act: the host's mapping of guest RAM, the hugetlbfs pool, the backing file, and a live migration.
/// The hugetlbfs test counts the kernel's pool, so the class runs with no other test beside it.
/// </summary>
[Collection(AloneCollection.Name)]
public sealed class MemoryBackingTests : IDisposable
{
    private const string Ticks = "mode=ticks tick_ms=50";
    private readonly TempDir _dir = new();

    public void Dispose() => _dir.Dispose();

    [KvmFact]
    public void Default_ram_is_private_anonymous_with_transparent_huge_pages()
    {
        using var vm = QmpVm.Start(Ticks, memory: "96M", dir: _dir);
        vm.WaitForTick(2);
        var (path, flags) = RamMapping(vm.Process.Id, 96);
        Assert.Equal("", path);
        Assert.Contains("hg", flags);
        Assert.DoesNotContain("sh", flags);
        Assert.DoesNotContain("dd", flags);
    }

    [KvmFact]
    public void Mem_share_maps_a_memfd_shared_and_dump_guest_core_off_keeps_it_out_of_core_dumps()
    {
        using var vm = QmpVm.Start(Ticks, memory: "96M", dir: _dir, machine: "q35,mem-share=on,dump-guest-core=off");
        vm.WaitForTick(2);
        var (path, flags) = RamMapping(vm.Process.Id, 96);
        Assert.StartsWith("/memfd:tern-guest-ram", path);
        Assert.Contains("sh", flags);
        Assert.Contains("dd", flags);
        vm.AssertTicksContinue();
    }

    [KvmFact]
    public void Shared_ram_in_a_named_file_holds_the_guest_memory_and_refuses_to_migrate()
    {
        string file = _dir.File("guest.ram");
        using var vm = QmpVm.Start(Ticks, memory: "64M", dir: _dir, machine: "q35,mem-share=on", extra: ["-mem-path", file]);
        vm.WaitForTick(2);
        Assert.Equal(64L << 20, new FileInfo(file).Length);
        Assert.Equal("RSD PTR ", ReadAt(file, 0xE0000, 8)); // the ACPI root pointer Tern wrote into guest RAM

        using var qmp = vm.Connect();
        var reply = qmp.Execute("migrate", new JsonObject { ["uri"] = UnixUri(_dir) });
        Assert.Contains($"shared mapping of {file}", QmpClient.ErrorDesc(reply));
        Assert.Equal("running", (string?)Status(qmp)["status"]);
        vm.AssertTicksContinue();
    }

    [HugePageFact]
    public void Hugetlbfs_guest_runs_on_the_pool_and_moves_live_to_another_hugetlbfs_guest()
    {
        const string soak = "mode=soak mib=64 tick_ms=50 check_every=4";
        const int pagesPerVm = 256 / 2;
        using var pool = new HugePagePool(2 * pagesPerVm);
        long freeAtStart = pool.FreePages;
        string uri = UnixUri(_dir);
        using (var source = Source(soak, "256M", ["-mem-path", pool.MountPoint, "-mem-prealloc"]))
        {
            source.WaitForTick(3);
            Assert.Equal(pagesPerVm, HugePagePool.PagesHeldBy(source.Process.Id)); // -mem-prealloc took every page of the guest's RAM
            Assert.Equal(freeAtStart - pagesPerVm, pool.FreePages); // and only from this pool
            Assert.Empty(Directory.GetFiles(pool.MountPoint)); // the backing file was unlinked at once

            using var destination = Destination(soak, "256M", ["-mem-path", pool.MountPoint], uri);
            using (var qmp = source.Connect())
            {
                qmp.Return("migrate", new JsonObject { ["uri"] = uri });
                var info = WaitForEnd(qmp);
                Assert.True((string?)info["status"] == "completed", info.ToJsonString());
            }
            AssertHopContinues(source, destination);
            destination.Process.WaitForLine(l => l.StartsWith("SOAK check", StringComparison.Ordinal) && l.EndsWith(" ok", StringComparison.Ordinal), Long);
            // The source gave its pages back when the migration completed; the destination holds
            // the pages it received (64 MiB of data and what the kernel wrote) from the same pool.
            Assert.Equal(0, HugePagePool.PagesHeldBy(source.Process.Id));
            Assert.InRange(HugePagePool.PagesHeldBy(destination.Process.Id), 32, pagesPerVm);
            Assert.DoesNotContain(destination.Process.Stdout, l => l.Contains("BAD"));
        }
        Assert.Equal(freeAtStart, pool.FreePages); // nothing left in the pool once both have exited
    }

    /// <summary>The path and VmFlags of the one mapping in the process whose size is the guest's RAM.</summary>
    private static (string Path, string[] Flags) RamMapping(int pid, int ramMiB)
    {
        var found = new List<(string, string[])>();
        string? header = null;
        bool sized = false;
        foreach (string line in File.ReadLines($"/proc/{pid}/smaps"))
        {
            if (IsHeader(line))
            {
                header = line;
                sized = false;
            }
            else if (line.StartsWith("Size:", StringComparison.Ordinal)) sized = line.Split(' ', StringSplitOptions.RemoveEmptyEntries)[1] == $"{ramMiB * 1024}";
            else if (line.StartsWith("VmFlags:", StringComparison.Ordinal) && sized && header is not null)
            {
                var fields = header.Split(' ', 6, StringSplitOptions.RemoveEmptyEntries);
                found.Add((fields.Length > 5 ? fields[5].Trim() : "", line["VmFlags:".Length..].Split(' ', StringSplitOptions.RemoveEmptyEntries)));
            }
        }
        return Assert.Single(found);
    }

    /// <summary>A mapping's first line: "start-end perms offset dev inode [path]".</summary>
    private static bool IsHeader(string line)
    {
        var fields = line.Split(' ', 6, StringSplitOptions.RemoveEmptyEntries);
        return fields.Length >= 5 && fields[0].Contains('-') && fields[1].Length == 4 && fields[3].Contains(':');
    }

    private static string ReadAt(string path, long offset, int length)
    {
        using var f = new FileStream(path, FileMode.Open, FileAccess.Read, FileShare.ReadWrite);
        var buffer = new byte[length];
        f.Position = offset;
        f.ReadExactly(buffer);
        return Encoding.Latin1.GetString(buffer);
    }
}

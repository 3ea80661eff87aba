using System.Text;
using System.Text.Json.Nodes;
using Tern.EndToEnd.Tests.Qmp;
using Tern.EndToEnd.Tests.Support;
using Tern.Host.Qmp.Client;
using Tern.TestSupport.Qmp;
using static Tern.EndToEnd.Tests.Migration.MigrationVm;

namespace Tern.EndToEnd.Tests.Migration;

/// <summary>
/// Replication with x-colo-disk-copy: the standby keeps its own copy of the disk, which the
/// primary fills during the initial sync and each committed checkpoint brings up to date, so a
/// takeover finds the disk as of that checkpoint whatever became of the primary's image. A copy
/// that would overwrite the primary's own image, or a side that does not copy, is refused and the
/// primary goes on untouched.
/// </summary>
public sealed class ReplicationDiskCopyTests(Xunit.Abstractions.ITestOutputHelper output) : IDisposable
{
    private const string Soak = "mode=soak mib=16 tick_ms=100 check_every=5 busy=5 blk=1";
    private const int DiskBytes = 1 << 20;
    /// <summary>A sector the soak guest never writes (it logs to sectors 3..1002): it shows what the copy carried.</summary>
    private const int MarkerSector = 2040;
    private static readonly byte[] Marker = Encoding.ASCII.GetBytes("PRIMARY-ONLY MARKER\n");
    private readonly TempDir _dir = new();

    public void Dispose() => _dir.Dispose();

    private string PrimaryDisk()
    {
        string path = _dir.Disk("primary.img", DiskBytes);
        using var file = File.OpenWrite(path);
        file.Position = MarkerSector * 512L;
        file.Write(Marker);
        return path;
    }

    /// <summary>A standby's file full of stale bytes: the copy must replace all of them.</summary>
    private string StaleCopy()
    {
        string path = _dir.File("standby.img");
        var stale = new byte[DiskBytes];
        Array.Fill(stale, (byte)0xAA);
        File.WriteAllBytes(path, stale);
        return path;
    }

    private static void SetColoDiskCopy(QmpClient qmp, bool copy) => qmp.Return("migrate-set-capabilities", new JsonObject
    {
        ["capabilities"] = new JsonArray(
            new JsonObject { ["capability"] = "x-colo", ["state"] = true },
            new JsonObject { ["capability"] = "x-colo-disk-copy", ["state"] = copy }),
    });

    [KvmFact]
    public void The_standby_takes_over_on_its_own_copy_of_the_disk()
    {
        string uri = UnixUri(_dir);
        string primaryDisk = PrimaryDisk(), copy = StaleCopy();
        using var primary = Source(Soak, "128M", DiskArgs(primaryDisk));
        using var standby = Destination(Soak, "128M", DiskArgs(copy), uri);
        primary.Process.WaitForLine("SOAK check tick=5 ok", Long);
        using var p = primary.Connect();
        using var s = standby.Connect();
        SetColoDiskCopy(s, copy: true);
        SetColoDiskCopy(p, copy: true);
        p.Return("migrate-set-parameters", new JsonObject { ["x-checkpoint-delay"] = 50 });
        p.Return("migrate", new JsonObject { ["uri"] = uri });

        WaitCheckpoints(s, c => (long?)c["committed"] >= 20);
        // Past a few disk writes made while protected, each travelling with its checkpoint.
        int protectedFrom = primary.LastTick;
        primary.WaitForTick(protectedFrom + 11);
        primary.Process.KillAlone();
        primary.Process.WaitForExit(TimeSpan.FromSeconds(10));
        s.Return("x-colo-lost-heartbeat");
        Thread.Sleep(300); // the primary's last lines, still in its pipe
        int lastBefore = primary.LastTick;
        Assert.Equal("running", StatusAfterArrival(s));
        standby.WaitForTick(lastBefore + 12); // past two more disk checks on the copy
        s.Return("stop");

        var lines = standby.Process.Stdout;
        // Sector 2, written at boot before the replication began, came with the copy.
        Assert.Contains(lines, l => l.StartsWith("SOAK blk read tick=", StringComparison.Ordinal) && l.EndsWith(" ok", StringComparison.Ordinal));
        Assert.DoesNotContain(lines, l => l.Contains("BAD") || l.Contains("FAIL") || l.StartsWith("SOAK filled", StringComparison.Ordinal));
        var image = File.ReadAllBytes(copy);
        Assert.Equal(Marker, image.AsSpan(MarkerSector * 512, Marker.Length).ToArray());
        Assert.All(image.AsSpan(2000 * 512, 512).ToArray(), b => Assert.Equal(0, b)); // stale bytes gone: zeros are not sent, the copy was emptied
        // Every disk write the world saw reported, by the primary or the standby, is on the copy.
        Assert.Contains(TestKernel.DiskLogWrites(primary.Process.Stdout), w => w.Tick > protectedFrom); // one travelled with a checkpoint
        int seen = TestKernel.AssertDiskLogOn(image, primary.Process.Stdout.Concat(lines));
        output.WriteLine($"{seen} disk writes checked on the copy; the primary's last tick {lastBefore}, the standby's first {standby.Ticks[0]}");
    }

    [KvmFact]
    public void A_copy_onto_the_primary_s_own_image_is_refused_and_the_primary_goes_on() =>
        AssertCopyRefusedWithTheImageIntact(standbyCopies: true, "cannot be this standby's own copy");

    [KvmFact]
    public void A_standby_that_shares_its_disks_refuses_a_copy_and_leaves_the_image_alone() =>
        AssertCopyRefusedWithTheImageIntact(standbyCopies: false, "set x-colo-disk-copy here");

    /// <summary>
    /// A primary copying its disk to a standby given the very same image (with x-colo-disk-copy
    /// there or not): refused naming <paramref name="why"/>, the primary's guest goes on, its image untouched.
    /// </summary>
    private void AssertCopyRefusedWithTheImageIntact(bool standbyCopies, string why)
    {
        string uri = UnixUri(_dir);
        string disk = PrimaryDisk();
        using var primary = Source(Soak, "128M", DiskArgs(disk));
        using var standby = Destination(Soak, "128M", DiskArgs(disk), uri);
        primary.Process.WaitForLine("SOAK check tick=5 ok", Long);
        using var p = primary.Connect();
        using var s = standby.Connect();
        SetColoDiskCopy(s, standbyCopies);
        SetColoDiskCopy(p, copy: true);
        p.Return("migrate", new JsonObject { ["uri"] = uri });

        var info = WaitForEnd(p);
        Assert.Equal("failed", (string?)info["status"]);
        Assert.Contains(why, (string?)info["error-desc"]);
        Assert.Equal("running", (string?)Status(p)["status"]);
        primary.AssertTicksContinue();
        primary.WaitForTick(primary.LastTick + 6); // a disk check after the refusal
        Assert.DoesNotContain(primary.Process.Stdout, l => l.Contains("BAD"));
        Assert.Equal(Marker, File.ReadAllBytes(disk).AsSpan(MarkerSector * 512, Marker.Length).ToArray());
    }
}

using System.Text.Json.Nodes;
using Tern.EndToEnd.Tests.Qmp;
using Tern.EndToEnd.Tests.Support;
using Tern.TestSupport.Qmp;
using static Tern.EndToEnd.Tests.Migration.MigrationVm;

namespace Tern.EndToEnd.Tests.Migration;

/// <summary>
/// Issue 15, finding 4: a live migration between two processes on one image hands the image lock
/// over at the switch-over. The destination (-incoming) holds nothing until then, the source lets
/// go once paused and flushed, and the destination takes the lock before its guest runs.
/// </summary>
public sealed class MigrationImageLockTests : IDisposable
{
    private const string Soak = "mode=soak mib=32 tick_ms=50 check_every=5 blk=1";
    private readonly TempDir _dir = new();

    public void Dispose() => _dir.Dispose();

    /// <summary>What a third tern trying to write the image is told: exactly who holds it.</summary>
    private static void AssertHeldOnlyBy(string disk, QmpVm holder)
    {
        var r = TernProcess.Run(["-machine", "q35", "-kernel", Repo.TestKernel, "-append", "mode=ticks", "-m", "64M", .. DiskArgs(disk)]);
        Assert.True(r.ExitCode == 1, r.Output);
        Assert.Equal($"tern: drive 'rootfs': failed to get \"write\" lock on {disk}: held by tern (pid {holder.Process.Id})", r.Stderr.TrimEnd('\n'));
    }

    [KvmFact]
    public void The_image_lock_moves_to_the_destination_and_the_guest_finds_its_disk_intact()
    {
        var disk = _dir.Disk("shared.img", 4 << 20);
        string uri = UnixUri(_dir);
        using var source = Source(Soak, "128M", DiskArgs(disk));
        using var destination = Destination(Soak, "128M", DiskArgs(disk), uri);
        source.Process.WaitForLine("SOAK blk before=ok", Long);
        source.WaitForTick(8);
        AssertHeldOnlyBy(disk, source); // the waiting destination holds nothing

        using var src = source.Connect();
        src.Return("migrate", new JsonObject { ["uri"] = uri });
        var info = WaitForEnd(src);

        Assert.True((string?)info["status"] == "completed", info.ToJsonString());
        AssertHopContinues(source, destination);
        // The guest reads back what it wrote before the move (its checksum line) from the destination.
        destination.Process.WaitForLine(l => l.StartsWith("SOAK blk read tick=", StringComparison.Ordinal) && l.EndsWith(" ok", StringComparison.Ordinal)
            && int.Parse(l.Split(' ')[3][5..]) > source.LastTick, Long);
        Assert.DoesNotContain(destination.Process.Stdout, l => l.Contains("BAD"));
        AssertHeldOnlyBy(disk, destination);
    }

    /// <summary>
    /// A process that holds byte 201 (QEMU's "does not share write") without QEMU's check, so it
    /// sits beside the running source unnoticed but keeps a newcomer from taking the write lock,
    /// until the file named by its second argument appears.
    /// </summary>
    private const string Intruder = """
        import fcntl, os, struct, sys, time
        fd = os.open(sys.argv[1], os.O_RDONLY)
        fcntl.fcntl(fd, 37, struct.pack("hhqqi4x", fcntl.F_RDLCK, 0, 201, 1, 0))  # F_OFD_SETLK
        print("HELD", flush=True)
        while not os.path.exists(sys.argv[2]):
            time.sleep(0.02)
        """;

    [KvmWithFact("python3")]
    public void A_destination_that_cannot_take_the_image_lock_fails_the_migration_and_the_source_takes_it_back()
    {
        var disk = _dir.Disk("shared.img", 4 << 20);
        string uri = UnixUri(_dir);
        string release = _dir.File("release");
        using var source = Source(Soak, "128M", DiskArgs(disk));
        using var destination = Destination(Soak, "128M", DiskArgs(disk), uri);
        source.Process.WaitForLine("SOAK blk before=ok", Long);
        source.WaitForTick(8);
        using var intruder = TernProcess.Start(["-c", Intruder, disk, release], "python3");
        intruder.WaitForLine("HELD", Long);

        using var src = source.Connect();
        src.Return("migrate", new JsonObject { ["uri"] = uri });
        // The destination fails at the switch-over; the source waits a few seconds for the image.
        Assert.Equal(1, destination.Process.WaitForExit(Long));
        File.WriteAllText(release, "");
        var info = WaitForEnd(src);

        Assert.Equal("failed", (string?)info["status"]);
        string error = (string?)info["error-desc"] ?? "";
        Assert.Contains($"failed to get \"write\" lock on {disk}: held by python", error);
        Assert.Contains($"(pid {intruder.Id})", error);
        Assert.DoesNotContain("without its image lock", error);
        Assert.Contains("incoming migration failed", destination.Process.Stderr);
        Assert.Equal("running", (string?)Status(src)["status"]);
        source.AssertTicksContinue();
        Assert.DoesNotContain(source.Process.Stdout, l => l.Contains("BAD"));
        Assert.Equal(0, intruder.WaitForExit(Long));
        AssertHeldOnlyBy(disk, source); // the source took its lock back
    }
}

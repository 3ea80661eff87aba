using System.Text.Json.Nodes;
using Tern.EndToEnd.Tests.Qmp;
using Tern.EndToEnd.Tests.Support;
using Tern.Host.Qmp.Client;
using Tern.TestSupport.Qmp;
using static Tern.EndToEnd.Tests.Migration.MigrationVm;

namespace Tern.EndToEnd.Tests.Migration;

/// <summary>
/// Issue 20, acceptance 1 and 2: QMP <c>migrate</c> to <c>file:PATH</c> saves a running guest, and
/// <c>tern</c> with the same command line and <c>-incoming file:PATH</c> restores it; checked from
/// inside the guest (ticks go on from the saved count, its memory checks and disk log pass).
/// </summary>
public sealed class SnapshotTests : IDisposable
{
    private readonly TempDir _dir = new();

    public void Dispose() => _dir.Dispose();

    /// <summary>Saves the guest and waits for the end; returns the final query-migrate.</summary>
    public static JsonNode Save(QmpClient qmp, string path)
    {
        Assert.NotNull(qmp.Return("migrate", new JsonObject { ["uri"] = $"file:{path}" }));
        return WaitForEnd(qmp);
    }

    public static QmpVm Restore(string append, string memory, string[] extra, string path) =>
        QmpVm.Start(append, extra: ["-incoming", $"file:{path}", .. extra], memory: memory);

    [KvmFact]
    public void A_2_GiB_soak_guest_rewriting_1_GiB_is_saved_live_and_restored_with_its_memory_ticks_and_disk()
    {
        const string soak = "mode=soak mib=1024 tick_ms=50 check_every=5 blk=1 rewrite=1";
        var disk = _dir.Disk("disk.img", 4 << 20);
        string snapshot = _dir.File("vm.snap");
        using var source = Source(soak, "2G", DiskArgs(disk));
        source.Process.WaitForLine("SOAK blk before=ok", Long);
        source.WaitForTick(8);
        using (var src = source.Connect())
        {
            var info = Save(src, snapshot);
            Assert.True((string?)info["status"] == "completed", info.ToJsonString());
            Assert.Equal("postmigrate", (string?)Status(src)["status"]);
            // Written in place: the file never grows past RAM plus state, however many passes.
            Assert.True(new FileInfo(snapshot).Length < (2L << 30) + (4 << 20), $"{new FileInfo(snapshot).Length} bytes");
            src.Return("quit"); // lets go of the disk for the restored guest
        }
        source.Process.WaitForExit(Long);

        using var restored = Restore(soak, "2G", DiskArgs(disk), snapshot);
        AssertHopContinues(source, restored);
        restored.WaitForTick(restored.Ticks[0] + 12);
        var ticks = restored.Ticks;
        Assert.Equal(Enumerable.Range(ticks[0], ticks.Count), ticks);
        restored.Process.WaitForLine(l => l.StartsWith("SOAK check", StringComparison.Ordinal) && l.EndsWith(" ok", StringComparison.Ordinal), Long);
        restored.Process.WaitForLine(l => l.StartsWith("SOAK rewrite", StringComparison.Ordinal), Long);
        restored.Process.WaitForLine(l => l.StartsWith("SOAK blk read", StringComparison.Ordinal) && l.EndsWith(" ok", StringComparison.Ordinal), Long);
        Assert.DoesNotContain(restored.Process.Stdout, l => l.Contains("BAD"));
        using var qmp = restored.Connect();
        Assert.Equal("running", (string?)Status(qmp)["status"]);
    }

    [KvmFact]
    public void One_snapshot_restores_as_several_clones_and_cont_resumes_the_saved_source()
    {
        const string soak = "mode=soak mib=64 tick_ms=50 check_every=5";
        string snapshot = _dir.File("clone.snap");
        using var source = Source(soak, "256M", []);
        source.WaitForTick(6);
        using var src = source.Connect();
        var info = Save(src, snapshot);
        Assert.True((string?)info["status"] == "completed", info.ToJsonString());
        Thread.Sleep(300);
        int saved = source.LastTick;
        Thread.Sleep(500);
        Assert.Equal(saved, source.LastTick); // paused after the save, as QEMU's source is

        using var first = Restore(soak, "256M", [], snapshot);
        using var second = Restore(soak, "256M", [], snapshot);
        foreach (var clone in new[] { first, second })
        {
            AssertHopContinues(source, clone);
            clone.Process.WaitForLine(l => l.StartsWith("SOAK check", StringComparison.Ordinal) && l.EndsWith(" ok", StringComparison.Ordinal), Long);
            using var qmp = clone.Connect();
            Assert.Equal("running", (string?)Status(qmp)["status"]);
        }
        Assert.NotEqual(first.SocketPath, second.SocketPath);

        // Preallocated RAM reads the image in instead of mapping it; the guest cannot tell.
        using (var eager = Restore(soak, "256M", ["-mem-prealloc"], snapshot))
        {
            AssertHopContinues(source, eager);
            eager.Process.WaitForLine(l => l.StartsWith("SOAK check", StringComparison.Ordinal) && l.EndsWith(" ok", StringComparison.Ordinal), Long);
        }

        // With -S the restored guest waits for `cont`, as a QEMU destination without autostart does.
        using (var held = Restore(soak, "256M", ["-S"], snapshot))
        {
            using var qmp = held.Connect();
            Assert.Equal("paused", (string?)Status(qmp)["status"]);
            Thread.Sleep(500);
            Assert.Empty(held.Ticks);
            qmp.Return("cont");
            AssertHopContinues(source, held);
        }

        // QEMU 8's way: -incoming defer, then migrate-incoming to the file. A missing file is refused and the VM waits on.
        using (var deferred = Destination(soak, "256M", [], "defer"))
        {
            using var qmp = deferred.Connect();
            var missing = qmp.Execute("migrate-incoming", new JsonObject { ["uri"] = $"file:{_dir.File("missing.snap")}" });
            Assert.Contains("does not exist", QmpClient.ErrorDesc(missing));
            Assert.Equal("inmigrate", (string?)Status(qmp)["status"]);
            qmp.Return("migrate-incoming", new JsonObject { ["uri"] = $"file:{snapshot}" });
            AssertHopContinues(source, deferred);
            Assert.Equal("running", (string?)Status(qmp)["status"]);
        }

        src.Return("cont");
        source.WaitForTick(saved + 5);
        Assert.Equal("running", (string?)Status(src)["status"]);
        Assert.DoesNotContain(source.Process.Stdout, l => l.Contains("BAD"));
    }

    [KvmFact]
    public void A_save_that_cannot_start_or_is_canceled_leaves_the_guest_running_and_no_file()
    {
        const string ticks = "mode=soak mib=64 tick_ms=50";
        using var source = Source(ticks, "256M", []);
        source.WaitForTick(3);
        using var src = source.Connect();

        var refused = src.Execute("migrate", new JsonObject { ["uri"] = $"file:{_dir.File("no-such-dir/vm.snap")}" });
        Assert.Contains("does not exist", QmpClient.ErrorDesc(refused));
        SetColo(src);
        Assert.Contains("x-colo", QmpClient.ErrorDesc(src.Execute("migrate", new JsonObject { ["uri"] = $"file:{_dir.File("colo.snap")}" })));
        src.Return("migrate-set-capabilities", new JsonObject
        {
            ["capabilities"] = new JsonArray(new JsonObject { ["capability"] = "x-colo", ["state"] = false }),
        });
        Assert.Equal("running", (string?)Status(src)["status"]);

        string snapshot = _dir.File("slow.snap");
        src.Return("migrate-set-parameters", new JsonObject { ["max-bandwidth"] = 8L << 20 }); // 256 MiB at 8 MiB/s: long enough to cancel
        src.Return("migrate", new JsonObject { ["uri"] = $"file:{snapshot}" });
        WaitTransferred(src, 4 << 20);
        src.Return("migrate_cancel");
        var info = WaitForEnd(src);
        Assert.Equal("canceled", (string?)info["status"]);
        Assert.Equal("running", (string?)Status(src)["status"]);
        source.AssertTicksContinue();
        Assert.Empty(Directory.GetFiles(_dir.Path, "*snap*"));
    }
}

using System.Text;
using System.Text.Json.Nodes;
using Tern.EndToEnd.Tests.Qmp;
using Tern.EndToEnd.Tests.Support;
using Tern.Host.Qmp.Client;
using Tern.TestSupport.Qmp;
using static Tern.EndToEnd.Tests.Migration.MigrationVm;

namespace Tern.EndToEnd.Tests.Migration;

/// <summary>Issue 4, acceptance 1, 2, 5, 6 and 9: the StratoVirt procedure with `tern`, checked from inside the guest.</summary>
public sealed class LiveMigrationTests : IDisposable
{
    private const string Soak = "mode=soak mib=256 tick_ms=50 check_every=5 blk=1";
    private readonly TempDir _dir = new();

    public void Dispose() => _dir.Dispose();

    private static void AssertGuestContinues(QmpVm source, QmpVm destination)
    {
        AssertHopContinues(source, destination); // no restart, no gap: numbering continues where the source stopped
        destination.WaitForTick(destination.Ticks[0] + 12);
        var ticks = destination.Ticks;
        Assert.Equal(Enumerable.Range(ticks[0], ticks.Count), ticks);
        destination.Process.WaitForLine(l => l.StartsWith("SOAK check", StringComparison.Ordinal) && l.EndsWith(" ok", StringComparison.Ordinal), Long);
        destination.Process.WaitForLine(l => l.StartsWith("SOAK blk read", StringComparison.Ordinal), Long);
        Assert.DoesNotContain(destination.Process.Stdout, l => l.Contains("BAD"));
    }

    [KvmTheory]
    [InlineData("unix", 0)]
    [InlineData("tcp", 0)]
    [InlineData("unix", 3)]
    [InlineData("tcp", 2)]
    public void Guest_moves_keeping_its_ticks_memory_checksum_and_disk(string transport, int multifdChannels)
    {
        var disk = _dir.Disk("shared.img", 4 << 20);
        string uri = transport == "unix" ? UnixUri(_dir) : TcpUri();
        using var source = Source(Soak, "512M", DiskArgs(disk));
        using var destination = Destination(Soak, "512M", DiskArgs(disk), uri);
        source.Process.WaitForLine("SOAK blk before=ok", Long);
        source.WaitForTick(8);
        using var src = source.Connect();
        using var dst = destination.Connect();
        Assert.Equal("inmigrate", (string?)Status(dst)["status"]);

        if (multifdChannels > 0)
        {
            src.Return("migrate-set-capabilities", new JsonObject
            {
                ["capabilities"] = new JsonArray(new JsonObject { ["capability"] = "multifd", ["state"] = true }),
            });
            src.Return("migrate-set-parameters", new JsonObject { ["multifd-channels"] = multifdChannels });
        }
        Assert.NotNull(src.Return("migrate", new JsonObject { ["uri"] = uri }));
        var info = WaitForEnd(src);

        Assert.True((string?)info["status"] == "completed", info.ToJsonString());
        Assert.Equal("postmigrate", (string?)Status(src)["status"]);
        Assert.Equal("running", StatusAfterArrival(dst));
        AssertGuestContinues(source, destination);
        // Statistics agree with each other (acceptance 9).
        var ram = info["ram"]!;
        Assert.True((long)ram["transferred"]! >= (long)ram["total"]! - (long)ram["duplicate"]! * 4096);
        Assert.Equal((long)ram["normal"]! * 4096, (long)ram["normal-bytes"]!);
        // The reported downtime agrees with the pause the guest measured with its own clock, within one
        // tick period (acceptance 9); the guest reports a pause as "SOAK late" on the tick it delayed.
        // It prints no such line when the pause was under half a tick period (25 ms). Later late
        // ticks (the first memory check on the destination, which maps every page afresh) are not
        // the switch-over's.
        int firstTickHere = destination.Ticks[0];
        var late = destination.Process.Stdout.FirstOrDefault(l => l.StartsWith($"SOAK late tick={firstTickHere} ", StringComparison.Ordinal));
        long lateMs = late is null ? 0 : long.Parse(late.Split("ms=")[1]);
        long guestPauseAtMost = (late is null ? 25 : lateMs) + 50;
        // The source cannot see the last step (the destination's vCPU threads getting a CPU after
        // the resume), and it stops its clock only when the destination's Done reaches it, so on a
        // loaded 2-core machine allow that much scheduling delay on top (a clean-clone run beside
        // four builds, load average 53, measured 186 ms against a guest-seen 133 + 50; the whole
        // suite on 2 cores, 448 ms against a guest-seen 237 + 50). A downtime that counted the
        // transfer before the pause would still be seconds off.
        Assert.InRange((long)info["downtime"]!, lateMs - 100, guestPauseAtMost + 250);
        // The destination's new disk writes land in the shared image file.
        var line = destination.Process.WaitForLine(l => l.StartsWith("SOAK blk write tick=", StringComparison.Ordinal)
            && int.Parse(l.Split(' ')[3][5..]) > source.LastTick, Long);
        int tick = int.Parse(line.Split(' ')[3][5..]);
        int sector = int.Parse(line.Split(' ')[4][7..]);
        destination.Process.WaitForLine(l => l.StartsWith($"TICK {tick + 1}", StringComparison.Ordinal), Long);
        Assert.StartsWith($"SOAK-TICK {tick}\n", ReadSector(disk, sector));
        Assert.StartsWith("SOAK-BEFORE ", ReadSector(disk, 2));
    }

    private static string ReadSector(string path, int sector)
    {
        using var f = new FileStream(path, FileMode.Open, FileAccess.Read, FileShare.ReadWrite);
        var buffer = new byte[512];
        f.Position = sector * 512L;
        f.ReadExactly(buffer);
        return Encoding.Latin1.GetString(buffer);
    }

    [KvmFact]
    public void Ping_pong_ten_times_keeps_the_guest_intact()
    {
        const string append = "mode=soak mib=64 tick_ms=50 check_every=4";
        var current = Source(append, "256M", []);
        var retired = new List<QmpVm>();
        try
        {
            current.WaitForTick(3);
            for (int i = 0; i < 10; i++)
            {
                string uri = UnixUri(_dir);
                var next = Destination(append, "256M", [], uri);
                using (var qmp = current.Connect())
                {
                    qmp.Return("migrate", new JsonObject { ["uri"] = uri });
                    var info = WaitForEnd(qmp);
                    Assert.True((string?)info["status"] == "completed", $"hop {i}: {info.ToJsonString()}");
                }
                AssertHopContinues(current, next);
                retired.Add(current);
                current = next;
            }
        }
        finally
        {
            current.Dispose();
            foreach (var vm in retired) vm.Dispose();
        }
    }

    [KvmFact]
    public void A_configuration_mismatch_fails_naming_it_and_the_source_keeps_running()
    {
        const string append = "mode=ticks tick_ms=50";
        using var source = Source(append, "256M", []);
        string uri = UnixUri(_dir);
        using var wrong = Destination(append, "512M", [], uri);
        source.WaitForTick(3);
        using var src = source.Connect();

        src.Return("migrate", new JsonObject { ["uri"] = uri });
        var info = WaitForEnd(src);

        Assert.Equal("failed", (string?)info["status"]);
        Assert.Contains("memory", (string?)info["error-desc"]);
        Assert.Equal("running", (string?)Status(src)["status"]);
        source.AssertTicksContinue();
        Assert.NotEqual(0, wrong.Process.WaitForExit(TimeSpan.FromSeconds(30)));
        Assert.False(File.Exists(uri[5..]), "the destination left its socket behind");

        // A later migration to a matching destination succeeds.
        string uri2 = UnixUri(_dir);
        using var right = Destination(append, "256M", [], uri2);
        src.Return("migrate", new JsonObject { ["uri"] = uri2 });
        var second = WaitForEnd(src);
        Assert.True((string?)second["status"] == "completed", second.ToJsonString());
        right.WaitForTick(source.LastTick + 3);
    }

    [KvmFact]
    public void Migrate_to_nowhere_is_refused_at_once_and_lifecycle_commands_wait_for_no_one()
    {
        using var source = Source("mode=ticks tick_ms=50", "256M", []);
        source.WaitForTick(2);
        using var src = source.Connect();

        var reply = src.Execute("migrate", new JsonObject { ["uri"] = UnixUri(_dir) });
        Assert.Equal("GenericError", QmpClient.ErrorClass(reply));
        Assert.EndsWith(": no such socket", QmpClient.ErrorDesc(reply)); // issue 15: was "Cannot assign requested address"
        Assert.Equal("GenericError", QmpClient.ErrorClass(src.Execute("migrate", new JsonObject { ["uri"] = "ftp:x" })));
        Assert.Equal("none", (string?)src.Return("query-migrate")!["status"]);
        Assert.Equal("running", (string?)Status(src)["status"]);
        source.AssertTicksContinue();
    }

    [KvmFact]
    public void Killed_destination_fails_the_migration_and_the_source_keeps_running_then_migrates_again()
    {
        const string append = "mode=soak mib=128 tick_ms=50 check_every=5";
        using var source = Source(append, "256M", []);
        string uri = UnixUri(_dir);
        using var doomed = Destination(append, "256M", [], uri);
        source.Process.WaitForLine("SOAK filled", Long);
        using var src = source.Connect();
        src.Return("migrate-set-parameters", new JsonObject { ["max-bandwidth"] = 16L << 20 }); // ~8 s for 128 MiB
        src.Return("migrate", new JsonObject { ["uri"] = uri });
        Assert.Equal("active", WaitUntilActive(src));
        Assert.Equal("GenericError", QmpClient.ErrorClass(src.Execute("stop"))); // lifecycle refused while migrating

        doomed.Process.Dispose(); // killed
        var info = WaitForEnd(src);

        Assert.Equal("failed", (string?)info["status"]);
        Assert.Equal("running", (string?)Status(src)["status"]);
        source.AssertTicksContinue();
        src.Return("migrate-set-parameters", new JsonObject { ["max-bandwidth"] = 0 });
        string uri2 = UnixUri(_dir);
        using var destination = Destination(append, "256M", [], uri2);
        src.Return("migrate", new JsonObject { ["uri"] = uri2 });
        Assert.Equal("completed", (string?)WaitForEnd(src)["status"]);
        destination.WaitForTick(source.LastTick + 3);
        Assert.DoesNotContain(destination.Process.Stdout, l => l.Contains("BAD"));
    }

    [KvmFact]
    public void Cancel_during_the_rounds_leaves_the_guest_running_and_the_destination_exits()
    {
        const string append = "mode=soak mib=128 tick_ms=50 check_every=5";
        using var source = Source(append, "256M", []);
        string uri = UnixUri(_dir);
        using var destination = Destination(append, "256M", [], uri);
        source.Process.WaitForLine("SOAK filled", Long);
        using var src = source.Connect();
        src.Return("migrate-set-parameters", new JsonObject { ["max-bandwidth"] = 16L << 20 });
        src.Return("migrate", new JsonObject { ["uri"] = uri });
        WaitTransferred(src, 8L << 20); // a second in: 120 MiB and seven seconds still to go

        src.Return("migrate_cancel");
        var info = WaitForEnd(src);

        Assert.Equal("canceled", (string?)info["status"]);
        Assert.Equal("running", (string?)Status(src)["status"]);
        source.AssertTicksContinue();
        Assert.NotEqual(0, destination.Process.WaitForExit(TimeSpan.FromSeconds(30)));
        Assert.DoesNotContain(source.Process.Stdout, l => l.Contains("BAD"));
    }

    [KvmFact]
    public void Killed_source_makes_the_destination_exit_non_zero_leaving_nothing_behind()
    {
        const string append = "mode=soak mib=128 tick_ms=50";
        var source = Source(append, "256M", []);
        string uri = UnixUri(_dir);
        using var destination = Destination(append, "256M", [], uri);
        source.Process.WaitForLine("SOAK filled", Long);
        using (var src = source.Connect())
        {
            src.Return("migrate-set-parameters", new JsonObject { ["max-bandwidth"] = 16L << 20 });
            src.Return("migrate", new JsonObject { ["uri"] = uri });
            WaitTransferred(src, 8L << 20);
        }
        source.Dispose(); // killed mid-stream

        Assert.NotEqual(0, destination.Process.WaitForExit(TimeSpan.FromSeconds(30)));
        Assert.False(File.Exists(uri[5..]));
        Assert.False(File.Exists(destination.SocketPath));
    }
}

using System.Text.Json.Nodes;
using Tern.EndToEnd.Tests.Qmp;
using Tern.EndToEnd.Tests.Support;
using Tern.Host.Qmp.Client;
using Tern.TestSupport.Qmp;
using static Tern.EndToEnd.Tests.Migration.MigrationVm;

namespace Tern.EndToEnd.Tests.Migration;

/// <summary>
/// Issue 18's replication, standalone with QEMU COLO's QMP names: x-colo on both sides, `migrate`
/// puts a paused standby in place and checkpoints it every x-checkpoint-delay ms;
/// x-colo-lost-heartbeat on the standby resumes the guest from the last committed checkpoint,
/// on the primary lets the guest go on alone.
/// </summary>
public sealed class ReplicationTests(Xunit.Abstractions.ITestOutputHelper output) : IDisposable
{
    /// <summary>A soak guest: ticks every 100 ms, its 16 MiB region checked and a disk sector written every fifth tick.</summary>
    private const string Soak = "mode=soak mib=16 tick_ms=100 check_every=5 busy=5 blk=1";
    private readonly TempDir _dir = new();

    public void Dispose() => _dir.Dispose();

    private (QmpVm Primary, QmpVm Standby, QmpClient P, QmpClient S) Protect()
    {
        string uri = UnixUri(_dir);
        // One image both open, as a cluster's shared storage: the standby without its lock until it takes over.
        string disk = _dir.Disk("shared.img", 1 << 20);
        var primary = Source(Soak, "128M", DiskArgs(disk));
        var standby = Destination(Soak, "128M", DiskArgs(disk), uri);
        primary.Process.WaitForLine("SOAK check tick=5 ok", Long);
        var p = primary.Connect();
        var s = standby.Connect();
        SetColo(s);
        SetColo(p);
        p.Return("migrate-set-parameters", new JsonObject { ["x-checkpoint-delay"] = 50 });
        p.Return("migrate", new JsonObject { ["uri"] = uri });
        return (primary, standby, p, s);
    }

    [KvmFact]
    public void The_standby_resumes_from_its_last_checkpoint_when_the_primary_is_killed()
    {
        var (primary, standby, p, s) = Protect();
        using (primary)
        using (standby)
        using (p)
        using (s)
        {
            var committed = WaitCheckpoints(p, c => (long?)c["committed"] >= 20);
            Assert.Equal("colo", (string?)committed["status"]);
            var figures = committed["x-checkpoints"]!;
            output.WriteLine($"primary after 20 checkpoints: {figures.ToJsonString()}");
            Assert.InRange((double)figures["pause-p50"]!, 0.0, 50.0);
            Assert.Equal("colo", (string?)WaitCheckpoints(s, c => (long?)c["committed"] >= 20)["status"]);
            Assert.Equal("inmigrate", (string?)Status(s)["status"]); // the standby's guest does not run
            primary.Process.WaitForLine(l => l.StartsWith("SOAK check tick=", StringComparison.Ordinal) && l != "SOAK check tick=5 ok", Long);

            primary.Process.KillAlone();
            primary.Process.WaitForExit(TimeSpan.FromSeconds(10));
            s.Return("x-colo-lost-heartbeat");
            Thread.Sleep(300); // the primary's last lines, still in its pipe
            int lastBefore = primary.LastTick;

            Assert.Equal("running", StatusAfterArrival(s));
            Assert.Equal("completed", (string?)s.Return("query-migrate")!["status"]);
            standby.WaitForTick(lastBefore + 12); // past two more memory checks
            var lines = standby.Process.Stdout;
            Assert.Contains(lines, l => l.StartsWith("SOAK blk read tick=", StringComparison.Ordinal) && l.EndsWith(" ok", StringComparison.Ordinal));
            // Every disk write the world saw reported, by the primary or the standby, is on the image:
            // held writes of committed checkpoints were written by one or the other.
            s.Return("stop");
            Assert.True(TestKernel.AssertDiskLogOn(File.ReadAllBytes(_dir.File("shared.img")), primary.Process.Stdout.Concat(lines)) >= 4);
            Assert.DoesNotContain(lines, l => l.StartsWith("SOAK filled", StringComparison.Ordinal)); // no second boot
            Assert.DoesNotContain(lines, l => l.Contains("BAD") || l.Contains("FAIL"));
            Assert.Contains(lines, l => l.StartsWith("SOAK check tick=", StringComparison.Ordinal) && l.EndsWith(" ok", StringComparison.Ordinal));
            // The primary let out only what committed checkpoints produced, and the standby resumed from
            // the last committed one: no tick the world saw is printed again. Output of a checkpoint
            // committed but not yet released when the primary died is lost (at most an epoch or two;
            // +2 also when the takeover fell inside a line).
            int first = standby.Ticks[0];
            output.WriteLine($"primary's last tick {lastBefore}; the standby's first {first}");
            Assert.InRange(first, lastBefore + 1, lastBefore + 3);
        }
    }

    [KvmFact]
    public void A_silent_standby_stops_the_primary_s_guest_until_the_operator_lets_it_go_on_alone()
    {
        var (primary, standby, p, s) = Protect();
        using (primary)
        using (standby)
        using (p)
        using (s)
        {
            WaitCheckpoints(p, c => (long?)c["committed"] >= 5);
            standby.Process.KillAlone();
            var broken = WaitCheckpoints(p, c => c["broken"] is not null);
            Assert.Equal("colo", (string?)broken["status"]);
            // Fenced after 2 s without a commit: the guest no longer runs, since the standby might.
            Thread.Sleep(2500);
            int stoppedAt = primary.LastTick;
            Thread.Sleep(1000);
            Assert.InRange(primary.LastTick, stoppedAt, stoppedAt + 1);

            p.Return("x-colo-lost-heartbeat");
            var info = WaitForEnd(p);
            Assert.Equal("completed", (string?)info["status"]);
            primary.WaitForTick(stoppedAt + 10);
            Assert.Equal("running", (string?)Status(p)["status"]);
            Assert.DoesNotContain(primary.Process.Stdout, l => l.Contains("BAD"));
        }
    }

    [KvmFact]
    public void A_corrupted_checkpoint_is_refused_and_the_standby_resumes_from_the_last_committed_one()
    {
        string uri = UnixUri(_dir), proxied = UnixUri(_dir);
        using var primary = Source(Soak, "128M", []);
        using var standby = Destination(Soak, "128M", [], uri);
        using var proxy = new CorruptingProxy(proxied[5..], uri[5..]);
        primary.Process.WaitForLine("SOAK check tick=5 ok", Long);
        using var p = primary.Connect();
        using var s = standby.Connect();
        SetColo(s);
        SetColo(p);
        p.Return("migrate", new JsonObject { ["uri"] = proxied });
        WaitCheckpoints(s, c => (long?)c["committed"] >= 20);

        proxy.Corrupt();
        var refused = WaitCheckpoints(s, c => c["broken"] is not null)["x-checkpoints"]!;
        output.WriteLine($"a bit flipped {proxy.FlippedAt} bytes into the stream; the standby: {refused.ToJsonString()}");
        Assert.Contains("refused", (string?)refused["broken"]);
        long committed = (long)refused["committed"]!;
        Assert.Contains("the standby refused a checkpoint", (string?)WaitCheckpoints(p, c => c["broken"] is not null)["x-checkpoints"]!["broken"]);
        // Nothing after the refusal is ever applied: the last committed checkpoint stands, paused.
        Thread.Sleep(500);
        var holding = s.Return("query-migrate")!;
        Assert.Equal("colo", (string?)holding["status"]);
        Assert.Equal(committed, (long)holding["x-checkpoints"]!["committed"]!);
        Assert.Equal("inmigrate", (string?)Status(s)["status"]);

        // The primary stops its guest (its standby's fate unknown to it), then dies: the standby
        // takes over from that checkpoint, its memory intact, no tick the world saw repeated.
        Thread.Sleep(2500);
        primary.Process.KillAlone();
        primary.Process.WaitForExit(TimeSpan.FromSeconds(10));
        Thread.Sleep(300); // the primary's last lines, still in its pipe
        int lastBefore = primary.LastTick;
        s.Return("x-colo-lost-heartbeat");
        Assert.Equal("running", StatusAfterArrival(s));
        standby.WaitForTick(lastBefore + 12);
        var lines = standby.Process.Stdout;
        Assert.DoesNotContain(lines, l => l.Contains("BAD") || l.StartsWith("SOAK filled", StringComparison.Ordinal));
        Assert.Contains(lines, l => l.StartsWith("SOAK check tick=", StringComparison.Ordinal) && l.EndsWith(" ok", StringComparison.Ordinal));
        Assert.InRange(standby.Ticks[0], lastBefore + 1, lastBefore + 3);
    }

    [KvmFact]
    public void A_destination_without_x_colo_refuses_and_the_primary_goes_on()
    {
        string uri = UnixUri(_dir);
        using var primary = Source(Soak, "128M", []);
        using var destination = Destination(Soak, "128M", [], uri);
        using var p = primary.Connect();
        SetColo(p);
        p.Return("migrate", new JsonObject { ["uri"] = uri });
        var info = WaitForEnd(p);
        Assert.Equal("failed", (string?)info["status"]);
        Assert.Contains("not one (set the x-colo capability here)", (string?)info["error-desc"]);
        Assert.Equal("running", (string?)Status(p)["status"]);
        primary.AssertTicksContinue();
        var refused = p.Execute("x-colo-lost-heartbeat");
        Assert.Equal("GenericError", QmpClient.ErrorClass(refused));
        Assert.Contains("no replication", QmpClient.ErrorDesc(refused));
    }
}

using System.Net;
using System.Text.Json.Nodes;
using Tern.EndToEnd.Tests.Qmp;
using Tern.EndToEnd.Tests.Support;
using Tern.Host.Qmp.Client;
using Tern.TestSupport.Qmp;

namespace Tern.EndToEnd.Tests.Migration;

/// <summary>Sources and destinations of the StratoVirt procedure: the same command line, the destination with -incoming.</summary>
public static class MigrationVm
{
    public static readonly TimeSpan Long = TimeSpan.FromSeconds(90);

    public static string[] DiskArgs(string disk) =>
        ["-drive", $"file={disk},id=rootfs,readonly=off,direct=off", "-device", "virtio-blk-pci,drive=rootfs,id=rootfs,bus=pcie.0,addr=0"];

    public static QmpVm Source(string append, string memory, string[] extra) =>
        QmpVm.Start(append, extra: extra, memory: memory);

    public static QmpVm Destination(string append, string memory, string[] extra, string incoming)
    {
        var vm = QmpVm.Start(append, extra: ["-incoming", incoming, .. extra], memory: memory);
        WaitForListener(vm);
        return vm;
    }

    public static string UnixUri(TempDir dir) => $"unix:{dir.File($"mig-{Guid.NewGuid():N}.sock")}";

    public static string TcpUri() => $"tcp:127.0.0.1:{QmpVm.FreePort(IPAddress.Loopback)}";

    /// <summary>
    /// Waits until the destination answers QMP, which it does only after booting, and it binds its
    /// incoming socket before booting. (Probing the port itself would be taken as the migration.)
    /// </summary>
    public static void WaitForListener(QmpVm destination)
    {
        using var qmp = destination.Connect();
        Assert.Equal("inmigrate", (string?)Status(qmp)["status"]);
    }

    /// <summary>Polls query-migrate until the migration is past setup (on a loaded machine setup can take a while).</summary>
    public static string WaitUntilActive(QmpClient qmp) =>
        (string?)PollMigration(qmp, info => (string?)info["status"] != "setup").Info["status"] ?? "none";

    /// <summary>
    /// Polls query-migrate until the migration is active and has sent more than <paramref name="bytes"/>
    /// of RAM: a fault injected then falls mid-stream whatever the machine's load (a fixed sleep
    /// could fall before the first page, or after a fast migration ended).
    /// </summary>
    public static void WaitTransferred(QmpClient qmp, long bytes)
    {
        var (info, met) = PollMigration(qmp, i => Ended(i) || (string?)i["status"] == "active" && (long?)i["ram"]?["transferred"] > bytes);
        if (!met || Ended(info))
            throw new TimeoutException($"the migration did not send {bytes} bytes while active; last query-migrate: {info.ToJsonString()}");
    }

    /// <summary>Polls query-migrate until the status is final; returns the last answer.</summary>
    public static JsonNode WaitForEnd(QmpClient qmp)
    {
        var (info, met) = PollMigration(qmp, Ended);
        return met ? info : throw new TimeoutException($"the migration did not end within {Long}; last query-migrate: {info.ToJsonString()}");
    }

    private static bool Ended(JsonNode info) => (string?)info["status"] is "completed" or "failed" or "canceled";

    /// <summary>query-migrate every 25 ms until <paramref name="until"/> holds or <see cref="Long"/> has passed; the last answer, and whether it held.</summary>
    private static (JsonNode Info, bool Met) PollMigration(QmpClient qmp, Func<JsonNode, bool> until)
    {
        var deadline = DateTime.UtcNow + Long;
        while (true)
        {
            var info = qmp.Return("query-migrate")!;
            if (until(info)) return (info, true);
            if (DateTime.UtcNow >= deadline) return (info, false);
            Thread.Sleep(25);
        }
    }

    /// <summary>
    /// The destination's ticks continue the source's with no restart and no gap: its first complete
    /// tick is the source's last + 1, or + 2 when the switch-over fell inside a line (the source
    /// printed "TICK 2", the destination "7"). And the guest reports nothing BAD.
    /// </summary>
    public static void AssertHopContinues(QmpVm source, QmpVm destination)
    {
        destination.WaitForTick(1);
        int first = destination.Ticks[0];
        Thread.Sleep(300); // let the source's last complete lines arrive through its pipe
        int last = source.LastTick;
        if (first == last + 2) Assert.False(destination.Process.Stdout[0].StartsWith("TICK", StringComparison.Ordinal), "a tick went missing");
        else Assert.Equal(last + 1, first);
        destination.WaitForTick(first + 4);
        Assert.DoesNotContain(destination.Process.Stdout, l => l.Contains("BAD"));
    }

    public static JsonNode Status(QmpClient qmp) => qmp.Return("query-status")!;

    /// <summary>Turns the x-colo capability on (replication: the primary's and the standby's side alike).</summary>
    public static void SetColo(QmpClient qmp) => qmp.Return("migrate-set-capabilities", new JsonObject
    {
        ["capabilities"] = new JsonArray(new JsonObject { ["capability"] = "x-colo", ["state"] = true }),
    });

    /// <summary>query-migrate until <paramref name="until"/> holds of its x-checkpoints; fails naming the last answer when the replication ends or <see cref="Long"/> passes.</summary>
    public static JsonNode WaitCheckpoints(QmpClient qmp, Func<JsonNode, bool> until)
    {
        var deadline = DateTime.UtcNow + Long;
        while (true)
        {
            var info = qmp.Return("query-migrate")!;
            if (info["x-checkpoints"] is { } c && until(c)) return info;
            if (DateTime.UtcNow > deadline || (string?)info["status"] is "failed" or "canceled" or "completed")
                throw new TimeoutException($"checkpoints never got there; last query-migrate: {info.ToJsonString()}");
            Thread.Sleep(25);
        }
    }

    /// <summary>
    /// The destination's status once it has taken the guest. The source reports `completed` when the
    /// destination's Done reaches it; the destination's VM actor learns of the resume from its
    /// receiver thread by message, so a query right after may still see `inmigrate` (QEMU's
    /// destination, too, may still be loading when its source completes).
    /// </summary>
    public static string StatusAfterArrival(QmpClient destination)
    {
        var deadline = DateTime.UtcNow.AddSeconds(10);
        string? status;
        while ((status = (string?)Status(destination)["status"]) == "inmigrate" && DateTime.UtcNow < deadline) Thread.Sleep(20);
        return status ?? "";
    }
}

using System.Diagnostics;
using System.Text.Json.Nodes;
using Tern.EndToEnd.Tests.Qmp;
using Tern.EndToEnd.Tests.Support;
using Tern.TestSupport.Qmp;
using Xunit.Abstractions;
using static Tern.EndToEnd.Tests.Migration.MigrationVm;

namespace Tern.EndToEnd.Tests.Migration;

/// <summary>
/// Issue 17: same-host migration of shared RAM (-machine q35,mem-share=on on both sides, StratoVirt's
/// procedure over unix:) hands the RAM's memfd to the destination and sends only the state.
/// </summary>
public sealed class SharedRamMigrationTests(ITestOutputHelper output) : IDisposable
{
    private const string SharedMachine = "q35,mem-share=on";
    private readonly TempDir _dir = new();

    public void Dispose() => _dir.Dispose();

    private static QmpVm Vm(string append, string memory, bool shared, string? incoming = null)
    {
        var vm = QmpVm.Start(append, memory: memory, machine: shared ? SharedMachine : "q35",
            extra: incoming is null ? null : ["-incoming", incoming]);
        if (incoming is not null) WaitForListener(vm);
        return vm;
    }

    [KvmFact]
    public void Two_GiB_guest_with_1_GiB_random_moves_by_descriptor_keeping_checksums_and_ticks()
    {
        const string append = "mode=soak mib=1024 tick_ms=20 check_every=50";
        string uri = UnixUri(_dir);
        using var source = Vm(append, "2G", shared: true);
        using var destination = Vm(append, "2G", shared: true, uri);
        source.Process.WaitForLine(GoodCheck, Long);
        using var src = source.Connect();

        src.Return("migrate", new JsonObject { ["uri"] = uri });
        var info = WaitForEnd(src);

        Assert.True((string?)info["status"] == "completed", info.ToJsonString());
        var ram = info["ram"]!;
        Assert.Equal(2L << 30, (long)ram["total"]!);
        Assert.Equal(0, (long)ram["normal"]!);
        Assert.InRange((long)ram["transferred"]!, 1, 256 << 10); // the state only: no page of RAM
        AssertHopContinues(source, destination);
        int firstHere = destination.Ticks[0];
        // The first check on the destination reads the whole region through its new mapping.
        destination.Process.WaitForLine(GoodCheck, Long);
        Assert.DoesNotContain(destination.Process.Stdout, l => l.Contains("BAD"));
        var late = destination.Process.Stdout.FirstOrDefault(l => l.StartsWith($"SOAK late tick={firstHere} ", StringComparison.Ordinal));
        output.WriteLine($"total-time {info["total-time"]} ms, downtime {info["downtime"]} ms, transferred {ram["transferred"]} bytes; "
            + $"guest-visible pause: {late ?? "no late tick (under half a tick period, 10 ms)"}");
    }

    [KvmFact]
    public void A_destination_with_another_memory_size_refuses_naming_both_and_the_source_keeps_running()
    {
        const string append = "mode=soak mib=64 tick_ms=50 check_every=4";
        string uri = UnixUri(_dir);
        using var source = Vm(append, "256M", shared: true);
        using var wrong = Vm(append, "512M", shared: true, uri);
        source.WaitForTick(3);
        using var src = source.Connect();

        src.Return("migrate", new JsonObject { ["uri"] = uri });
        var info = WaitForEnd(src);

        Assert.Equal("failed", (string?)info["status"]);
        string error = (string?)info["error-desc"] ?? "";
        Assert.Contains("256 MiB", error);
        Assert.Contains("512 MiB", error);
        Assert.DoesNotContain('\n', error);
        Assert.Equal("running", (string?)Status(src)["status"]);
        source.AssertTicksContinue();
        source.Process.WaitForLine(GoodCheck, Long);
        Assert.DoesNotContain(source.Process.Stdout, l => l.Contains("BAD"));
    }

    [KvmFact]
    public void A_destination_killed_mid_transfer_leaves_the_source_running_then_it_migrates_again()
    {
        const string append = "mode=soak mib=64 tick_ms=50 check_every=4";
        string uri = UnixUri(_dir);
        using var source = Vm(append, "256M", shared: true);
        var doomed = Vm(append, "256M", shared: true, uri);
        source.WaitForTick(3);
        using var src = source.Connect();

        // Frozen, the destination leaves the source waiting inside the stream; then it dies.
        Signal("STOP", doomed.Process.Id);
        src.Return("migrate", new JsonObject { ["uri"] = uri });
        Thread.Sleep(300);
        doomed.Dispose();
        var info = WaitForEnd(src);

        Assert.Equal("failed", (string?)info["status"]);
        Assert.Equal("running", (string?)Status(src)["status"]);
        source.AssertTicksContinue();
        string uri2 = UnixUri(_dir);
        using var destination = Vm(append, "256M", shared: true, uri2);
        src.Return("migrate", new JsonObject { ["uri"] = uri2 });
        Assert.Equal("completed", (string?)WaitForEnd(src)["status"]);
        AssertHopContinues(source, destination);
        destination.Process.WaitForLine(GoodCheck, Long);
    }

    /// <summary>mem-share=on on one side only: the RAM is copied, as between any two VMs.</summary>
    [KvmTheory]
    [InlineData(true, false)]
    [InlineData(false, true)]
    public void Shared_ram_on_one_side_only_is_copied(bool sourceShared, bool destinationShared)
    {
        const string append = "mode=soak mib=64 tick_ms=50 check_every=4";
        string uri = UnixUri(_dir);
        using var source = Vm(append, "256M", sourceShared);
        using var destination = Vm(append, "256M", destinationShared, uri);
        source.Process.WaitForLine("SOAK filled", Long);
        using var src = source.Connect();

        src.Return("migrate", new JsonObject { ["uri"] = uri });
        var info = WaitForEnd(src);

        Assert.True((string?)info["status"] == "completed", info.ToJsonString());
        Assert.True((long)info["ram"]!["normal-bytes"]! >= 64L << 20, info.ToJsonString());
        AssertHopContinues(source, destination);
        destination.Process.WaitForLine(GoodCheck, Long);
    }

    private static bool GoodCheck(string line) => line.StartsWith("SOAK check", StringComparison.Ordinal) && line.EndsWith(" ok", StringComparison.Ordinal);

    private static void Signal(string signal, int pid)
    {
        using var kill = Process.Start("kill", [$"-{signal}", pid.ToString()]);
        kill.WaitForExit();
    }
}

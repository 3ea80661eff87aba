using System.Diagnostics;
using System.Globalization;
using System.Net.Sockets;
using System.Text.Json.Nodes;
using Tern.Bench.Migration;
using Tern.Host.Qmp.Client;
using Tern.TestSupport.Results;

namespace Tern.Bench.Snapshot;

/// <summary>
/// One round of one VMM with one guest: boot it, let it fill its region and tick through a quiet
/// spell, save it with `migrate` to a file, stop it, and after another quiet spell restore it with
/// the same command line plus -incoming; optionally restore once more after emptying the page cache.
/// Every VMM started here is killed before the method returns, whatever happened.
/// </summary>
public sealed class SnapshotRunner(TimeSpan bootTimeout, TimeSpan saveTimeout)
{
    /// <summary>How often query-migrate is asked during a save: the save time's resolution.</summary>
    private static readonly TimeSpan PollInterval = TimeSpan.FromMilliseconds(20);
    private static readonly TimeSpan QmpTimeout = TimeSpan.FromSeconds(30);
    private static readonly TimeSpan WriterTimeout = TimeSpan.FromSeconds(30);

    /// <summary>Room for a cold restore's first check, which reads the whole region from disk.</summary>
    private static readonly TimeSpan CheckTimeout = TimeSpan.FromSeconds(60);

    public SnapshotSample Run(SnapshotVmm vmm, MigrationScenario guest, int round, bool cold)
    {
        var dir = Directory.CreateTempSubdirectory("tern-snapshot-bench-");
        string file = Path.Combine(dir.FullName, "vm.snap");
        long epoch = Stopwatch.GetTimestamp();
        SaveFigures? save = null;
        RestoreFigures? warm = null, coldFigures = null;
        SnapshotSample Result(string? failure) => new(vmm.Name, guest.Key, round, save, warm, coldFigures, failure);
        try
        {
            string? failure;
            (save, failure) = Save(vmm, guest, file, dir.FullName, epoch);
            if (failure is not null) return Result($"save: {failure}");
            Thread.Sleep(MigrationSection.MemorySettle);
            (warm, failure) = Restore(vmm, guest, file, Path.Combine(dir.FullName, "warm.qmp"), epoch);
            if (failure is not null) return Result($"restore: {failure}");
            if (!cold) return Result(null);
            PageCache.Drop();
            Thread.Sleep(MigrationSection.MemorySettle);
            (coldFigures, failure) = Restore(vmm, guest, file, Path.Combine(dir.FullName, "cold.qmp"), epoch);
            return Result(failure is null ? null : $"cold restore: {failure}");
        }
        catch (Exception e) when (e is IOException or TimeoutException or QmpException or SocketException or InvalidOperationException)
        {
            return Result($"{e.GetType().Name}: {e.Message}");
        }
        finally
        {
            dir.Delete(recursive: true);
        }
    }

    private (SaveFigures?, string?) Save(SnapshotVmm vmm, MigrationScenario guest, string file, string dir, long epoch)
    {
        string qmpPath = Path.Combine(dir, "source.qmp");
        using var source = VmmProcess.Start(vmm.Vmm.Executable(guest), vmm.Vmm.Arguments(guest, qmpPath, null), epoch);
        // `SOAK timing` follows `SOAK filled`: the region is written; the quiet spell then gives ~100 ticks and ~20 checks.
        if (source.Console.WaitFor(l => guest.IsReady(l.Text), bootTimeout) is null)
            return (null, $"the guest was not ready within {bootTimeout.TotalSeconds:F0} s: {source.Tail()}");
        Thread.Sleep(MigrationSection.MemorySettle);

        using var qmp = QmpClient.Open(qmpPath, QmpTimeout);
        if (vmm.Vmm.Parameters is not null) qmp.Run("migrate-set-parameters", (JsonObject)vmm.Vmm.Parameters.DeepClone());
        long resident = MemoryFigures.Read(source.Id, vmm.GuestRamSizes(guest)).GuestRamRssKb << 10;
        double sent = source.Console.Now;
        qmp.Run("migrate", new JsonObject { ["uri"] = vmm.SaveUri(file) });
        var (info, _) = MigrationRunner.PollUntilEnd(qmp, saveTimeout, PollInterval);
        double done = source.Console.Now;
        string? status = (string?)info?["status"];
        if (status != "completed")
            return (null, status is null ? $"not completed within {saveTimeout.TotalSeconds:F0} s (canceled)" : $"status {status}: {(string?)info!["error-desc"] ?? info!.ToJsonString()}");
        if (vmm.WritesThroughChild && !FileWriters.WaitUntilClosed(file, WriterTimeout))
            return (null, $"the file was still open {WriterTimeout.TotalSeconds:F0} s after `completed`");
        if (SoakCheck.Damage(source.Console.Lines) is { } bad) return (null, $"the guest reported '{bad}' before the save");

        var checks = SoakCheck.All(source.Console.Lines).Where(c => c.DoneMs < sent).Select(c => c.Ms);
        return (new SaveFigures(done - sent, MigrationStats.From(info!, 0).TotalMs, SnapshotFileSize.Of(file), resident,
            vmm.IsTern ? GuestPagesInUse.Bytes(file) : null, Spread.Of(checks).Median), null);
    }

    private (RestoreFigures?, string?) Restore(SnapshotVmm vmm, MigrationScenario guest, string file, string qmpPath, long epoch)
    {
        double exec = Stopwatch.GetElapsedTime(epoch).TotalMilliseconds;
        using var vm = VmmProcess.Start(vmm.Vmm.Executable(guest), vmm.Vmm.Arguments(guest, qmpPath, vmm.RestoreUri(file)), epoch);
        if (vm.Console.WaitFor(SoakCheck.IsTick, bootTimeout) is not { } tick)
            return (null, $"no TICK within {bootTimeout.TotalSeconds:F0} s: {vm.Tail()}");
        bool ticked = false;
        if (vm.Console.WaitFor(l => (ticked |= SoakCheck.IsTick(l)) && SoakCheck.IsCheck(l), CheckTimeout) is null)
            return (null, $"no memory check within {CheckTimeout.TotalSeconds:F0} s of the first TICK: {vm.Tail()}");
        var lines = vm.Console.Lines;
        if (SoakCheck.Damage(lines) is { } bad) return (null, $"the restored guest reported '{bad}'");
        var first = SoakCheck.All(lines)[0];
        return (new RestoreFigures(tick.Ms - exec, first.Ms, SoakCheck.BeginsInsideCheck(lines), LateMs(lines, tick)), null);
    }

    /// <summary>The guest's `SOAK late tick=N ms=M` for the first tick it printed, if that tick was late.</summary>
    private static double? LateMs(IReadOnlyList<TimedLine> lines, TimedLine tick)
    {
        string prefix = $"SOAK late tick={tick.Text["TICK ".Length..]} ms=";
        var late = lines.FirstOrDefault(l => l.Text.StartsWith(prefix, StringComparison.Ordinal));
        return late.Text is not null && double.TryParse(late.Text.AsSpan(prefix.Length), NumberStyles.None, CultureInfo.InvariantCulture, out double ms) ? ms : null;
    }
}

using System.Diagnostics;
using System.Text.Json.Nodes;
using Tern.Host.Qmp.Client;

namespace Tern.Bench.Migration;

/// <summary>
/// One live migration, as StratoVirt's document does it: start the source with a QMP socket, wait
/// until the guest has filled its memory and ticked for a second, start the destination with the same
/// command line plus -incoming, `migrate`, poll query-migrate until it ends, then check that the
/// guest goes on at the destination (the next tick numbers, a memory check that is ok, no BAD).
/// </summary>
public sealed class MigrationRunner(TimeSpan bootTimeout, TimeSpan migrationTimeout)
{
    private static readonly TimeSpan PollInterval = TimeSpan.FromMilliseconds(50);
    private static readonly TimeSpan QmpTimeout = TimeSpan.FromSeconds(30);

    public MigrationSample Run(MigrationVmm vmm, MigrationScenario scenario, Transport transport, int round)
    {
        var dir = Directory.CreateTempSubdirectory("tern-migration-bench-");
        long epoch = Stopwatch.GetTimestamp();
        MigrationSample Fail(string why, JsonNode? parameters = null) =>
            new(vmm.Name, scenario.Key, transport, round, null, null, parameters, why);
        try
        {
            string uri = transport.Uri(dir.FullName);
            using var source = VmmProcess.Start(vmm.Executable(scenario), vmm.Arguments(scenario, Path.Combine(dir.FullName, "source.qmp"), null), epoch);
            if (source.Console.WaitFor(l => scenario.IsReady(l.Text), bootTimeout) is null)
                return Fail($"the source's guest was not ready within {bootTimeout.TotalSeconds:F0} s: {source.Tail()}");
            Thread.Sleep(MigrationScenario.Baseline);

            using var destination = VmmProcess.Start(vmm.Executable(scenario), vmm.Arguments(scenario, Path.Combine(dir.FullName, "destination.qmp"), uri), epoch);
            using (var incoming = QmpClient.Open(Path.Combine(dir.FullName, "destination.qmp"), QmpTimeout))
            {
                // Both VMMs bind the incoming socket before they serve QMP (probing the socket would be taken as the migration).
                string? status = (string?)incoming.Run("query-status")?["status"];
                if (status != "inmigrate") return Fail($"destination status '{status}', not inmigrate: {destination.Tail()}");
                EnableCapabilities(incoming, vmm.Capabilities); // QEMU wants x-ignore-shared on both sides
            }

            using var qmp = QmpClient.Open(Path.Combine(dir.FullName, "source.qmp"), QmpTimeout);
            EnableCapabilities(qmp, vmm.Capabilities);
            if (vmm.Parameters is not null) qmp.Run("migrate-set-parameters", (JsonObject)vmm.Parameters.DeepClone());
            if (scenario.AutoConverge)
                qmp.Run("migrate-set-capabilities", new JsonObject
                {
                    ["capabilities"] = new JsonArray(new JsonObject { ["capability"] = "auto-converge", ["state"] = true }),
                });
            var parameters = qmp.Run("query-migrate-parameters");

            double migrateMs = source.Console.Now;
            qmp.Run("migrate", new JsonObject { ["uri"] = uri });
            var (info, highestThrottle) = WaitForEnd(qmp);
            string? final = (string?)info?["status"];
            if (final != "completed")
                return Fail(final is null
                    ? $"not completed within {migrationTimeout.TotalSeconds:F0} s (canceled): {Describe(qmp.Run("query-migrate"))}"
                    : $"status {final}: {(string?)info!["error-desc"] ?? Describe(info)}", parameters);

            string? survival = WaitForSurvival(scenario, source, destination);
            if (survival is not null) return Fail(survival, parameters);
            var (gaps, problem) = TickGaps.Measure(source.Console.Lines, destination.Console.Lines, migrateMs, scenario.CheckEvery, scenario.ChecksTakeTime);
            if (problem is not null) return Fail(problem, parameters);
            if (gaps!.SwitchOverLine is not null) gaps = gaps with { SwitchOverLine = $"{gaps.SwitchOverLine}; {SourceEnding(source)}" };
            return new MigrationSample(vmm.Name, scenario.Key, transport, round, MigrationStats.From(info!, highestThrottle), gaps, parameters, null);
        }
        catch (Exception e) when (e is IOException or TimeoutException or QmpException or System.Net.Sockets.SocketException or InvalidOperationException)
        {
            return Fail($"{e.GetType().Name}: {e.Message}");
        }
        finally
        {
            dir.Delete(recursive: true);
        }
    }

    private static void EnableCapabilities(QmpClient qmp, IReadOnlyList<string>? names)
    {
        if (names is null) return;
        var list = new JsonArray();
        foreach (var n in names) list.Add(new JsonObject { ["capability"] = n, ["state"] = true });
        qmp.Run("migrate-set-capabilities", new JsonObject { ["capabilities"] = list });
    }

    private (JsonNode? Info, double HighestThrottle) WaitForEnd(QmpClient qmp) => PollUntilEnd(qmp, migrationTimeout, PollInterval);

    /// <summary>
    /// Polls query-migrate every <paramref name="interval"/> until the status is final (null after the
    /// timeout, once migrate_cancel was sent), keeping the highest throttle it showed on the way.
    /// </summary>
    public static (JsonNode? Info, double HighestThrottle) PollUntilEnd(QmpClient qmp, TimeSpan timeout, TimeSpan interval)
    {
        var deadline = Stopwatch.GetTimestamp() + (long)(timeout.TotalSeconds * Stopwatch.Frequency);
        double throttle = 0;
        while (Stopwatch.GetTimestamp() < deadline)
        {
            var info = qmp.Run("query-migrate");
            throttle = Math.Max(throttle, MigrationStats.Throttle(info));
            if ((string?)info?["status"] is "completed" or "failed" or "canceled" or "cancelled") return (info, throttle);
            Thread.Sleep(interval);
        }
        qmp.Run("migrate_cancel");
        return (null, throttle);
    }

    /// <summary>
    /// The source's last console text once it has exited: a line the switch-over cut has no newline, so
    /// it is read only at the end. It shows whether the guest's bytes were all printed on one side or the other.
    /// </summary>
    private static string SourceEnding(VmmProcess source)
    {
        source.Stop();
        source.Console.WaitForEnd(TimeSpan.FromSeconds(5));
        return $"the source's console ended with \"{source.Console.Lines.LastOrDefault().Text}\"";
    }

    /// <summary>
    /// Null once the guest showed it lives on at the destination: a memory check after the switch-over
    /// that is ok (soak), or a second of ticks (idle); otherwise what went wrong.
    /// </summary>
    private static string? WaitForSurvival(MigrationScenario scenario, VmmProcess source, VmmProcess destination)
    {
        var timeout = TimeSpan.FromSeconds(15);
        int ticks = 0;
        // A soak guest's first line at the destination can be the check it began on the source: a
        // check counts only after a tick printed here, so the tick gaps have both sides to measure.
        var evidence = destination.Console.WaitFor(l =>
        {
            if (l.Text.StartsWith("TICK ", StringComparison.Ordinal)) ticks++;
            return scenario.Soak ? ticks > 0 && l.Text.StartsWith("SOAK check tick=", StringComparison.Ordinal) : ticks >= 100;
        }, timeout);
        if (evidence is null) return $"the guest did not go on at the destination within {timeout.TotalSeconds:F0} s: {destination.Tail()}";
        var bad = source.Console.Lines.Concat(destination.Console.Lines)
            .FirstOrDefault(l => l.Text.Contains(" BAD", StringComparison.Ordinal) || l.Text.StartsWith("EXC ", StringComparison.Ordinal));
        return bad.Text is null ? null : $"the guest reported '{bad.Text}'";
    }

    private static string Describe(JsonNode? info) => info?.ToJsonString() ?? "no answer";
}

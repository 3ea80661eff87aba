using System.Diagnostics;
using System.Text.Json.Nodes;
using Tern.Bench.Migration;
using Tern.Host.Qmp.Client;

namespace Tern.Bench.MigrationTls;

/// <summary>One migration of a Tern or QEMU guest, with or without TLS, and the CPU each side spent on it.</summary>
public sealed record TlsSample(string Vmm, bool Tls, int Round, double TotalMs, double TransferredBytes,
    double SourceCpuSeconds, double DestinationCpuSeconds, string? Failure)
{
    public bool Succeeded => Failure is null;
    public double MiBPerSecond => TransferredBytes / (1 << 20) / (TotalMs / 1000);
    private double GiB => TransferredBytes / (1 << 30);
    public double SourceCpuPerGiB => SourceCpuSeconds / GiB;
    public double DestinationCpuPerGiB => DestinationCpuSeconds / GiB;
}

/// <summary>
/// QEMU's TLS procedure, the same for both VMMs: the source with an endpoint=client tls-creds-x509
/// object, the destination with an endpoint=server one and -incoming defer; on the destination
/// migrate-set-parameters tls-creds, then migrate-incoming; on the source tls-creds and
/// tls-hostname, then migrate. Without TLS the same steps without the objects and tls-creds.
/// CPU is read from /proc/PID/stat of both processes just before `migrate` and once it completed.
/// </summary>
public sealed class TlsMigrationRunner(TimeSpan bootTimeout, TimeSpan migrationTimeout, string credentials)
{
    /// <summary>The name both sides' certificates carry (tern ca issue --dns), checked by the source.</summary>
    public const string Hostname = "localhost";

    private static readonly TimeSpan PollInterval = TimeSpan.FromMilliseconds(50);
    private static readonly TimeSpan QmpTimeout = TimeSpan.FromSeconds(30);
    private static readonly TimeSpan SurvivalTimeout = TimeSpan.FromSeconds(30);

    public static IReadOnlyList<string> TlsObject(string credentials, string endpoint) =>
        ["-object", $"tls-creds-x509,id=tls0,dir={credentials},endpoint={endpoint}"];

    public TlsSample Run(MigrationVmm vmm, bool tls, MigrationScenario scenario, int round)
    {
        var dir = Directory.CreateTempSubdirectory("tern-tls-bench-");
        long epoch = Stopwatch.GetTimestamp();
        TlsSample Fail(string why) => new(vmm.Name, tls, round, double.NaN, double.NaN, double.NaN, double.NaN, why);
        string Qmp(string side) => Path.Combine(dir.FullName, $"{side}.qmp");
        try
        {
            string uri = Transport.Tcp.Uri(dir.FullName);
            using var source = VmmProcess.Start(vmm.Executable(scenario),
                [.. vmm.Arguments(scenario, Qmp("source"), null), .. tls ? TlsObject(credentials, "client") : []], epoch);
            if (source.Console.WaitFor(l => scenario.IsReady(l.Text), bootTimeout) is null)
                return Fail($"the source's guest was not ready within {bootTimeout.TotalSeconds:F0} s: {source.Tail()}");
            Thread.Sleep(MigrationScenario.Baseline);

            using var destination = VmmProcess.Start(vmm.Executable(scenario),
                [.. vmm.Arguments(scenario, Qmp("destination"), "defer"), .. tls ? TlsObject(credentials, "server") : []], epoch);
            using (var incoming = QmpClient.Open(Qmp("destination"), QmpTimeout))
            {
                if (tls) incoming.Run("migrate-set-parameters", new JsonObject { ["tls-creds"] = "tls0" });
                incoming.Run("migrate-incoming", new JsonObject { ["uri"] = uri });
            }

            using var qmp = QmpClient.Open(Qmp("source"), QmpTimeout);
            var parameters = (JsonObject?)vmm.Parameters?.DeepClone() ?? [];
            if (tls)
            {
                parameters["tls-creds"] = "tls0";
                parameters["tls-hostname"] = Hostname;
            }
            if (parameters.Count > 0) qmp.Run("migrate-set-parameters", parameters);

            double sourceBefore = ProcessCpu.Seconds(source.Id), destinationBefore = ProcessCpu.Seconds(destination.Id);
            qmp.Run("migrate", new JsonObject { ["uri"] = uri });
            var info = WaitForEnd(qmp);
            double sourceCpu = ProcessCpu.Seconds(source.Id) - sourceBefore, destinationCpu = ProcessCpu.Seconds(destination.Id) - destinationBefore;
            string? status = (string?)info?["status"];
            if (status != "completed")
                return Fail(status is null ? $"not completed within {migrationTimeout.TotalSeconds:F0} s (canceled)"
                    : $"status {status}: {(string?)info!["error-desc"] ?? info.ToJsonString()}");

            if (!GuestGoesOn(destination)) return Fail($"the guest did not check its memory ok at the destination: {destination.Tail()}");
            return new TlsSample(vmm.Name, tls, round, Number(info!["total-time"]), Number(info["ram"]?["transferred"]), sourceCpu, destinationCpu, null);
        }
        catch (Exception e) when (e is IOException or TimeoutException or QmpException or System.Net.Sockets.SocketException or InvalidOperationException or FormatException)
        {
            return Fail($"{e.GetType().Name}: {e.Message}");
        }
        finally
        {
            dir.Delete(recursive: true);
        }
    }

    private JsonNode? WaitForEnd(QmpClient qmp)
    {
        var deadline = Stopwatch.GetTimestamp() + (long)(migrationTimeout.TotalSeconds * Stopwatch.Frequency);
        while (Stopwatch.GetTimestamp() < deadline)
        {
            var info = qmp.Run("query-migrate");
            if ((string?)info?["status"] is "completed" or "failed" or "canceled" or "cancelled") return info;
            Thread.Sleep(PollInterval);
        }
        qmp.Run("migrate_cancel");
        return null;
    }

    /// <summary>The soak guest ticked at the destination and then found its whole region intact, with nothing BAD.</summary>
    private static bool GuestGoesOn(VmmProcess destination)
    {
        bool ticked = false;
        var check = destination.Console.WaitFor(l =>
        {
            if (l.Text.StartsWith("TICK ", StringComparison.Ordinal)) ticked = true;
            return ticked && l.Text.StartsWith("SOAK check tick=", StringComparison.Ordinal);
        }, SurvivalTimeout);
        return check is { } line && line.Text.EndsWith(" ok", StringComparison.Ordinal)
            && !destination.Console.Lines.Any(l => l.Text.Contains(" BAD", StringComparison.Ordinal));
    }

    private static double Number(JsonNode? n) => n is JsonValue v && v.TryGetValue(out double d) ? d : double.NaN;
}

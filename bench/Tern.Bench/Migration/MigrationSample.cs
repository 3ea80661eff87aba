using System.Text.Json.Nodes;

namespace Tern.Bench.Migration;

/// <summary>
/// What the source's query-migrate said once the migration completed (times in ms), and the highest
/// vCPU throttle it showed while polling (QEMU drops `cpu-throttle-percentage` once completed).
/// </summary>
public sealed record MigrationStats(double TotalMs, double DowntimeMs, double SetupMs, double TransferredBytes, double DirtySyncs,
    double ThrottlePercent)
{
    public double MiBPerSecond => TransferredBytes / (1 << 20) / (TotalMs / 1000);

    public static MigrationStats From(JsonNode info, double highestThrottle) => new(
        TotalMs: Number(info["total-time"]),
        DowntimeMs: Number(info["downtime"]),
        SetupMs: Number(info["setup-time"]),
        TransferredBytes: Number(info["ram"]?["transferred"]),
        DirtySyncs: Number(info["ram"]?["dirty-sync-count"]),
        ThrottlePercent: Math.Max(highestThrottle, Throttle(info)));

    /// <summary>cpu-throttle-percentage, or 0 where the VMM leaves it out (no throttle).</summary>
    public static double Throttle(JsonNode? info) => info?["cpu-throttle-percentage"] is null ? 0 : Number(info["cpu-throttle-percentage"]);

    private static double Number(JsonNode? n) => n is JsonValue v && v.TryGetValue(out double d) ? d : double.NaN;
}

/// <summary>One migration of one scenario by one VMM over one transport, or why it failed.</summary>
/// <param name="Parameters">The source's query-migrate-parameters just before `migrate`.</param>
public sealed record MigrationSample(string Vmm, string Scenario, Transport Transport, int Round, MigrationStats? Stats, TickGaps? Gaps,
    JsonNode? Parameters, string? Failure)
{
    public bool Succeeded => Failure is null;
}

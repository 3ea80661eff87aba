using System.Text.RegularExpressions;

namespace Tern.Actors.Cluster.Host.Health;

/// <summary>
/// Memory errors the EDAC drivers count per memory controller
/// (<c>SYSFS/devices/system/edac/mc/mcN/ce_count</c> and <c>ue_count</c>): corrected errors that
/// climb are the usual forewarning of a failing DIMM, an uncorrected one is already damage. A
/// host without EDAC (no driver, a VM) simply has nothing to say.
/// </summary>
internal sealed partial class MemoryErrorSignal(string sysfsRoot, MemoryErrorLimits limits, OnceWarnings warnings) : IHealthSignal
{
    private readonly CounterGroup _corrected = new();
    private readonly CounterGroup _uncorrected = new();

    public string Name => "memory-errors";

    public HealthReading Sample(DateTime now)
    {
        var controllers = Controllers();
        var problems = new[]
        {
            Check(_corrected, "ce_count", "corrected", limits.Corrected, controllers, now),
            Check(_uncorrected, "ue_count", "uncorrected", limits.Uncorrected, controllers, now),
        }.OfType<string>().ToList();
        return problems.Count == 0 ? HealthReading.Good : HealthReading.BadBecause(string.Join("; ", problems));
    }

    private string? Check(CounterGroup counters, string file, string kind, int threshold, IReadOnlyList<string> controllers, DateTime now)
    {
        if (threshold <= 0) return null;
        // Counters read before are read again even if their controller vanished from the listing, so a disappearance is noticed.
        foreach (string path in controllers.Select(c => Path.Combine(c, file)).Union(counters.Known).ToList())
        {
            if (CounterFile.Read(path, counters.Knows(path), warnings) is { } value) counters.Add(path, now, value);
        }
        ulong increase = counters.Increases(now, limits.Window).Aggregate(0UL, (sum, c) => sum + c.Increase);
        return increase >= (ulong)threshold
            ? $"{ReasonText.Count(increase, kind + " memory error")} in {ReasonText.Duration(limits.Window)} (EDAC)"
            : null;
    }

    private IReadOnlyList<string> Controllers()
    {
        string mc = Path.Combine(sysfsRoot, "devices/system/edac/mc");
        try
        {
            return Directory.Exists(mc)
                ? Directory.EnumerateDirectories(mc, "mc*").Where(d => ControllerName().IsMatch(Path.GetFileName(d))).Order(StringComparer.Ordinal).ToList()
                : [];
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            return []; // EDAC unloaded while listing: as if absent
        }
    }

    [GeneratedRegex(@"^mc\d+$")]
    private static partial Regex ControllerName();
}

using System.Globalization;
using Tern.Devices.Config;

namespace Tern.Actors.Cluster.Host.Health;

/// <summary>
/// Pressure stall information for one resource (<c>PROCFS/pressure/memory</c> or <c>io</c>): the
/// share of time some task waited for it over the last 10 s. Bad once every sample for
/// sustain-for has been at or above the threshold; a brief stall (a backup, a burst) is no fault.
/// A kernel without PSI has no such file: said once, and the signal stays good.
/// </summary>
internal sealed class PressureSignal(string resource, string procfsRoot, double threshold, TimeSpan sustainFor, OnceWarnings warnings) : IHealthSignal
{
    private readonly string _path = Path.Combine(procfsRoot, "pressure", resource);
    private DateTime? _aboveSince;

    public string Name => $"pressure.{resource}";

    public HealthReading Sample(DateTime now)
    {
        // A sample without a figure breaks the run: sustained means seen every time.
        if (Read() is not { } avg10 || avg10 < threshold)
        {
            _aboveSince = null;
            return HealthReading.Good;
        }
        _aboveSince ??= now;
        // The reason names the limit, not the figure of the moment, so it stays the same while the stall lasts.
        return now - _aboveSince.Value >= sustainFor
            ? HealthReading.BadBecause($"{resource} pressure at or above {threshold.ToString("0.##", CultureInfo.InvariantCulture)}% for {ReasonText.Duration(sustainFor)} (PSI some avg10)")
            : HealthReading.Good;
    }

    private double? Read()
    {
        string text;
        try
        {
            text = File.ReadAllText(_path);
        }
        catch (Exception e) when (e is FileNotFoundException or DirectoryNotFoundException)
        {
            warnings.Warn(_path, "missing", $"host health: {_path} does not exist (a kernel without PSI?); {resource} pressure is not watched");
            return null;
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            warnings.Warn(_path, "unreadable", $"host health: {_path} cannot be read ({e.Message}); ignored");
            return null;
        }
        if (SomeAvg10(text) is { } avg10) return avg10;
        warnings.Warn(_path, "garbage", $"host health: {_path} has no 'some avg10=' figure ('{EchoedText.Clip(text.Trim())}'); ignored");
        return null;
    }

    /// <summary>The avg10 of the "some" line: <c>some avg10=1.23 avg60=0.50 avg300=0.10 total=12345</c>.</summary>
    public static double? SomeAvg10(string text)
    {
        var some = text.Split('\n').FirstOrDefault(l => l.StartsWith("some ", StringComparison.Ordinal));
        var field = some?.Split(' ', StringSplitOptions.RemoveEmptyEntries).FirstOrDefault(f => f.StartsWith("avg10=", StringComparison.Ordinal));
        return field is not null
            && double.TryParse(field["avg10=".Length..], NumberStyles.AllowDecimalPoint, CultureInfo.InvariantCulture, out double value)
            && double.IsFinite(value) // .NET reads "NaN" whatever the style
            ? value
            : null;
    }
}

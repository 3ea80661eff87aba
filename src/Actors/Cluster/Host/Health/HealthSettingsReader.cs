using System.Globalization;
using Akka.Configuration;

namespace Tern.Actors.Cluster.Host.Health;

/// <summary>
/// Reads the keys of <c>tern.host.health</c> with their defaults, and turns a bad value into a
/// <see cref="ConfigurationException"/> that names the key and the value, whatever Akka's own
/// parser would have thrown.
/// </summary>
internal sealed class HealthSettingsReader(Config? hostSection)
{
    private string? Raw(string key) =>
        hostSection is not null && !hostSection.IsEmpty && hostSection.HasPath(Path(key)) ? hostSection.GetString(Path(key)) : null;

    private static string Path(string key) => $"health.{key}";

    private static ConfigurationException Bad(string key, string expected, string raw) =>
        new($"{HostHealthSettings.Section}.{key} must be {expected}, not '{raw}'");

    public TimeSpan Duration(string key, TimeSpan fallback, bool zeroAllowed)
    {
        if (Raw(key) is not { } raw) return fallback;
        string expected = zeroAllowed ? "a duration such as 5s (0 or more)" : "a positive duration such as 5s";
        TimeSpan value;
        try
        {
            value = hostSection!.GetTimeSpan(Path(key), null, allowInfinite: false);
        }
        catch (Exception) // Akka's parser throws several kinds; the key and value say more than any of them
        {
            throw Bad(key, expected, raw);
        }
        return value > TimeSpan.Zero || (zeroAllowed && value == TimeSpan.Zero) ? value : throw Bad(key, expected, raw);
    }

    public int Count(string key, int fallback) =>
        Raw(key) is not { } raw ? fallback
        : int.TryParse(raw, NumberStyles.None, CultureInfo.InvariantCulture, out int value) ? value
        : throw Bad(key, "a whole number, 0 or more (0: off)", raw);

    public double Percent(string key, double fallback) =>
        Raw(key) is not { } raw ? fallback
        : double.TryParse(raw, NumberStyles.AllowDecimalPoint, CultureInfo.InvariantCulture, out double value) && value <= 100 ? value
        : throw Bad(key, "a percentage in 0..100 (0: off)", raw);

    public string Text(string key, string fallback) => Raw(key)?.Trim() ?? fallback;

    public string AbsolutePath(string key, string fallback) =>
        Raw(key) is not { } raw ? fallback
        : raw.StartsWith('/') ? raw.TrimEnd('/') is { Length: > 0 } trimmed ? trimmed : "/"
        : throw Bad(key, "an absolute path", raw);
}

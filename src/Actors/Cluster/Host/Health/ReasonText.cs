using System.Globalization;

namespace Tern.Actors.Cluster.Host.Health;

/// <summary>The pieces health reasons are written with: compact durations ("1h", "10m", "60s") and counted nouns ("1 error", "12 errors").</summary>
internal static class ReasonText
{
    /// <summary>
    /// Whole hours as hours, whole minutes from 2 minutes up as minutes, else seconds, or
    /// milliseconds below a whole second: the way the durations were most likely written in HOCON.
    /// </summary>
    public static string Duration(TimeSpan span)
    {
        long ms = (long)span.TotalMilliseconds;
        string Of(long value, string unit) => value.ToString(CultureInfo.InvariantCulture) + unit;
        if (ms % 1000 != 0) return Of(ms, "ms");
        long s = ms / 1000;
        if (s >= 3600 && s % 3600 == 0) return Of(s / 3600, "h");
        if (s >= 120 && s % 60 == 0) return Of(s / 60, "m");
        return Of(s, "s");
    }

    public static string Count(ulong n, string noun) =>
        n.ToString(CultureInfo.InvariantCulture) + " " + (n == 1 ? noun : noun + "s");
}

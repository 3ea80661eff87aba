using System.Globalization;
using Tern.Bench.Migration;

namespace Tern.Bench.Snapshot;

/// <summary>
/// One memory check as the host saw it: the soak guest prints `TICK n` and, when n is a multiple of
/// check_every, checksums its whole region at once and prints `SOAK check tick=n ok`; the time
/// between the two lines' arrival is the check (reading every page of the region) plus the output.
/// </summary>
public readonly record struct SoakCheck(int Tick, double TickMs, double DoneMs, bool Ok)
{
    public double Ms => DoneMs - TickMs;

    private const string TickPrefix = "TICK ", CheckPrefix = "SOAK check tick=";

    public static bool IsTick(TimedLine l) => l.Text.StartsWith(TickPrefix, StringComparison.Ordinal);

    public static bool IsCheck(TimedLine l) => l.Text.StartsWith(CheckPrefix, StringComparison.Ordinal);

    /// <summary>
    /// Every check whose TICK line is on this console too, in order. A console that begins inside a
    /// check (a save that stopped the guest while it checked) has that check's end without its start: it is left out.
    /// </summary>
    public static List<SoakCheck> All(IReadOnlyList<TimedLine> lines)
    {
        var ticks = new Dictionary<int, double>();
        var checks = new List<SoakCheck>();
        foreach (var l in lines)
        {
            if (IsTick(l) && int.TryParse(l.Text.AsSpan(TickPrefix.Length), NumberStyles.None, CultureInfo.InvariantCulture, out int n))
                ticks.TryAdd(n, l.Ms);
            else if (IsCheck(l) && TickOf(l.Text) is int c && ticks.TryGetValue(c, out double at))
                checks.Add(new SoakCheck(c, at, l.Ms, l.Text.EndsWith(" ok", StringComparison.Ordinal)));
        }
        return checks;
    }

    /// <summary>True when the console's first check line came before its first TICK: the guest resumed inside a check.</summary>
    public static bool BeginsInsideCheck(IReadOnlyList<TimedLine> lines)
    {
        foreach (var l in lines)
        {
            if (IsTick(l)) return false;
            if (IsCheck(l)) return true;
        }
        return false;
    }

    /// <summary>The first line that says the guest found its memory damaged or took an exception, if any.</summary>
    public static string? Damage(IReadOnlyList<TimedLine> lines) =>
        lines.Select(l => l.Text).FirstOrDefault(t => t.Contains(" BAD", StringComparison.Ordinal) || t.StartsWith("EXC ", StringComparison.Ordinal));

    private static int? TickOf(string line)
    {
        var rest = line.AsSpan(CheckPrefix.Length);
        int space = rest.IndexOf(' ');
        return int.TryParse(space < 0 ? rest : rest[..space], NumberStyles.None, CultureInfo.InvariantCulture, out int n) ? n : null;
    }
}

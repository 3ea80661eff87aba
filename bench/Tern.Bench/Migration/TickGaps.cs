namespace Tern.Bench.Migration;

/// <summary>
/// The guest-visible pauses of one migration, from the host's arrival times of the TICK lines on
/// the source's and the destination's consoles (ms). A gap that starts at a tick after which the
/// guest checksums its memory (n % checkEvery == 0) is the check's time, not a pause, and is left
/// out, except the switch-over gap itself, which always counts (<see cref="CheckInSwitchOver"/> says so).
/// </summary>
/// <param name="SwitchOverMs">The last source tick to the first destination tick.</param>
/// <param name="PauseMs">The largest gap from 1 s before the last source tick to 1 s after the first destination tick.</param>
/// <param name="DuringMs">The largest gap from `migrate` to 1 s after the first destination tick (throttling shows here).</param>
/// <param name="DuringAtMs">When that gap began, in ms after `migrate`.</param>
/// <param name="BaselineMs">The largest gap in the second before `migrate`: the machine's noise.</param>
/// <param name="SwitchOverLine">What happened to a TICK line the switch-over cut, or null when none was cut.</param>
public sealed record TickGaps(double SwitchOverMs, double PauseMs, double DuringMs, double DuringAtMs, double BaselineMs, bool CheckInSwitchOver,
    long LastSourceTick, long FirstDestinationTick, string? SwitchOverLine)
{
    private const double Near = 1000;

    private readonly record struct Tick(long N, double Ms);

    /// <summary>The gaps, or why the tick sequence shows that the guest did not simply continue.</summary>
    public static (TickGaps? Gaps, string? Problem) Measure(IReadOnlyList<TimedLine> source, IReadOnlyList<TimedLine> destination,
        double migrateMs, int checkEvery, bool checksTakeTime)
    {
        var src = Ticks(source);
        var dst = Ticks(destination);
        if (src.Count == 0 || dst.Count == 0) return (null, $"ticks: {src.Count} on the source, {dst.Count} on the destination");
        string? cut = CutTick(src[^1].N, destination, dst);
        var all = src.Concat(dst).ToList();
        for (int i = 1; i < all.Count; i++)
            if (all[i].N != all[i - 1].N + 1 && !(i == src.Count && cut is not null))
                return (null, $"tick {all[i].N} followed tick {all[i - 1].N} ({(i == src.Count ? "at the switch-over" : i < src.Count ? "on the source" : "on the destination")}); " +
                              $"destination's first lines: [{string.Join(" | ", destination.Take(4).Select(l => l.Text))}]");

        var last = src[^1];
        var first = dst[0];
        bool IsCheck(long n) => checksTakeTime && checkEvery > 0 && n % checkEvery == 0;
        (double Ms, double At) LargestAt(double from, double to) => Enumerable.Range(1, all.Count - 1)
            .Select(i => (Start: all[i - 1], End: all[i]))
            .Where(g => g.Start.Ms >= from && g.End.Ms <= to && (!IsCheck(g.Start.N) || g.Start == last))
            .Select(g => (Ms: g.End.Ms - g.Start.Ms, At: g.Start.Ms))
            .DefaultIfEmpty((Ms: double.NaN, At: double.NaN)).MaxBy(g => g.Ms);
        double Largest(double from, double to) => LargestAt(from, to).Ms;
        var during = LargestAt(LastTickBefore(all, migrateMs), first.Ms + Near);

        return (new TickGaps(
            SwitchOverMs: first.Ms - last.Ms,
            PauseMs: Largest(last.Ms - Near, first.Ms + Near),
            DuringMs: during.Ms,
            DuringAtMs: during.At - migrateMs,
            BaselineMs: Largest(migrateMs - Near, migrateMs),
            CheckInSwitchOver: IsCheck(last.N),
            LastSourceTick: last.N,
            FirstDestinationTick: first.N,
            SwitchOverLine: cut), null);
    }

    /// <summary>
    /// A TICK line the guest was printing when the source stopped: the source's console holds its start
    /// without a newline (read only at exit) and the destination's first line is the rest, e.g. "6" of
    /// "TICK 306"; that tick then arrived with its rest. Null when no tick is missing at the switch-over.
    /// </summary>
    private static string? CutTick(long lastSource, IReadOnlyList<TimedLine> destination, List<Tick> dst)
    {
        long missing = lastSource + 1;
        if (dst.Count == 0 || dst[0].N != missing + 1) return null;
        var rest = destination.TakeWhile(l => !l.Text.StartsWith("TICK ", StringComparison.Ordinal))
            .FirstOrDefault(l => l.Text.Length > 0 && $"TICK {missing}".EndsWith(l.Text, StringComparison.Ordinal));
        if (rest.Text is null) return $"TICK {missing} never arrived (its line was lost at the switch-over)";
        dst.Insert(0, new Tick(missing, rest.Ms));
        return $"TICK {missing} was cut: \"{rest.Text}\" arrived from the destination";
    }

    /// <summary>The start of the gap that `migrate` fell into, so that gap counts as one during the migration.</summary>
    private static double LastTickBefore(List<Tick> ticks, double ms) => ticks.LastOrDefault(t => t.Ms <= ms, ticks[0]).Ms;

    private static List<Tick> Ticks(IReadOnlyList<TimedLine> lines) =>
        lines.Where(l => l.Text.StartsWith("TICK ", StringComparison.Ordinal) && long.TryParse(l.Text.AsSpan(5), out _))
             .Select(l => new Tick(long.Parse(l.Text.AsSpan(5)), l.Ms)).ToList();
}

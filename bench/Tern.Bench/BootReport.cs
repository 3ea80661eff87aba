using System.Globalization;
using System.Text;
using Tern.TestSupport.Results;

namespace Tern.Bench;

/// <summary>How a table's ratio column compares a row with the reference Tern row.</summary>
public enum RatioStyle
{
    /// <summary>Tern's median over this row's (peers only): below 1 means Tern is faster / smaller.</summary>
    TernOverThis,

    /// <summary>This row's median over Tern's (every other row): below 1 means this row beats Tern's default.</summary>
    ThisOverTern,
}

/// <summary>Markdown tables of medians, spreads and ratios from a run's samples.</summary>
public sealed class BootReport(IReadOnlyList<Contender> contenders, IReadOnlyList<Scenario> scenarios, IReadOnlyList<BootSample> samples)
{
    private static readonly CultureInfo Invariant = CultureInfo.InvariantCulture;

    private Contender Reference => contenders.First(c => c.IsTern);

    public Spread ReadyMs(Contender c, Scenario s) => Spread.Of(Good(c, s).Select(x => x.ReadyMs));

    public Spread MemoryMiB(Contender c, Scenario s, Func<MemoryFigures, long> kb) =>
        Spread.Of(Good(c, s).Select(x => kb(x.Memory!) / 1024.0));

    public string TimeTable(RatioStyle style)
    {
        var sb = new StringBuilder();
        sb.AppendLine($"| Guest | VMM | median ms | min ms | max ms | n | {RatioHeader(style)} |");
        sb.AppendLine("| --- | --- | ---: | ---: | ---: | ---: | ---: |");
        foreach (var s in scenarios)
        foreach (var c in contenders)
        {
            var t = ReadyMs(c, s);
            string ratio = Ratio(style, c, t.Median, ReadyMs(Reference, s).Median);
            sb.AppendLine($"| {s.Name} | {c.Name} | {F1(t.Median)} | {F1(t.Min)} | {F1(t.Max)} | {t.Count} | {ratio} |");
        }
        return sb.ToString();
    }

    public string MemoryTable(RatioStyle style)
    {
        var sb = new StringBuilder();
        sb.AppendLine($"| Guest | VMM | total RSS | guest RAM RSS | overhead (min–max) | overhead private | overhead file-backed | overhead {RatioHeader(style)} |");
        sb.AppendLine("| --- | --- | ---: | ---: | ---: | ---: | ---: | ---: |");
        foreach (var s in scenarios)
        foreach (var c in contenders)
        {
            var total = MemoryMiB(c, s, m => m.TotalRssKb);
            var guest = MemoryMiB(c, s, m => m.GuestRamRssKb);
            var over = MemoryMiB(c, s, m => m.OverheadKb);
            var priv = MemoryMiB(c, s, m => m.OverheadPrivateKb);
            var file = MemoryMiB(c, s, m => m.OverheadFileKb);
            string ratio = Ratio(style, c, over.Median, MemoryMiB(Reference, s, m => m.OverheadKb).Median);
            sb.AppendLine($"| {s.Name} | {c.Name} | {F1(total.Median)} | {F1(guest.Median)} | " +
                          $"{F1(over.Median)} ({F1(over.Min)}–{F1(over.Max)}) | {F1(priv.Median)} | {F1(file.Median)} | {ratio} |");
        }
        return sb.ToString();
    }

    /// <summary>One line per failed boot, or an empty string when every boot reached HALT.</summary>
    public string Failures()
    {
        var failed = samples.Where(x => !x.Succeeded).ToList();
        if (failed.Count == 0) return "";
        var sb = new StringBuilder("Failed boots (left out of the medians):\n\n");
        foreach (var f in failed) sb.AppendLine($"- round {f.Round}, {f.Scenario}, {f.Contender}: {f.Failure}");
        return sb.ToString();
    }

    private IEnumerable<BootSample> Good(Contender c, Scenario s) =>
        samples.Where(x => x.Succeeded && x.Contender == c.Name && x.Scenario == s.Name);

    private static string RatioHeader(RatioStyle style) => style == RatioStyle.TernOverThis ? "Tern ÷ this" : "this ÷ Tern";

    private string Ratio(RatioStyle style, Contender c, double value, double reference)
    {
        if (ReferenceEquals(c, Reference)) return "—";
        if (style == RatioStyle.TernOverThis && c.IsTern) return "—";
        double r = style == RatioStyle.TernOverThis ? reference / value : value / reference;
        return double.IsFinite(r) ? r.ToString("F2", Invariant) : "n/a";
    }

    public static string F1(double v) => double.IsFinite(v) ? v.ToString("F1", Invariant) : "n/a";
}

using System.Globalization;
using System.Text;
using Tern.TestSupport.Results;

namespace Tern.Bench.Migration;

/// <summary>Markdown tables of one migration run: medians with min–max, Tern ÷ QEMU ratios, the loopback and fresh-memory limits.</summary>
public sealed class MigrationReport(IReadOnlyList<MigrationVmm> vmms, IReadOnlyList<MigrationScenario> scenarios, IReadOnlyList<Transport> transports,
    IReadOnlyList<MigrationSample> samples, IReadOnlyList<(Transport Transport, double MiBPerSecond)> loopback, IReadOnlyList<double> freshMemory)
{
    private static readonly CultureInfo Invariant = CultureInfo.InvariantCulture;

    public IReadOnlyList<MigrationVmm> Vmms => vmms;
    public IReadOnlyList<MigrationScenario> Scenarios => scenarios;
    public IReadOnlyList<Transport> Transports => transports;
    public IReadOnlyList<MigrationSample> Samples => samples;

    public MigrationVmm Tern => vmms.First(v => v.IsTern);
    public MigrationVmm Qemu => vmms.First(v => !v.IsTern);

    private static readonly (string Header, Func<MigrationSample, double> Value, string Format)[] MainColumns =
    [
        ("total time ms", s => s.Stats!.TotalMs, "F0"),
        ("guest-visible pause ms", s => s.Gaps!.PauseMs, "F0"),
        ("reported downtime ms", s => s.Stats!.DowntimeMs, "F0"),
        ("sent MiB", Sent, "F0"),
        ("throughput MiB/s", s => s.Stats!.MiBPerSecond, "F0"),
    ];

    private static readonly (string Header, Func<MigrationSample, double> Value, string Format)[] DetailColumns =
    [
        ("switch-over gap ms", s => s.Gaps!.SwitchOverMs, "F0"),
        ("largest gap, migrate to switch-over + 1 s, ms", s => s.Gaps!.DuringMs, "F0"),
        ("largest gap in the second before migrate, ms", s => s.Gaps!.BaselineMs, "F0"),
        ("setup-time ms", s => s.Stats!.SetupMs, "F0"),
        ("dirty-sync-count", s => s.Stats!.DirtySyncs, "F0"),
        ("highest throttle %", s => s.Stats!.ThrottlePercent, "F0"),
    ];

    public Spread Of(MigrationVmm v, MigrationScenario s, Transport t, Func<MigrationSample, double> value) =>
        Spread.Of(Good(v, s, t).Select(value));

    public static double Total(MigrationSample s) => s.Stats!.TotalMs;
    public static double Pause(MigrationSample s) => s.Gaps!.PauseMs;
    public static double Throughput(MigrationSample s) => s.Stats!.MiBPerSecond;
    public static double Sent(MigrationSample s) => s.Stats!.TransferredBytes / (1 << 20);

    /// <summary>One scenario: per transport, each VMM's medians (min–max) and the Tern ÷ QEMU ratio of the medians.</summary>
    public string ScenarioTable(MigrationScenario s)
    {
        var sb = new StringBuilder();
        sb.AppendLine($"| Transport | VMM | {string.Join(" | ", MainColumns.Select(c => c.Header))} | n |");
        sb.AppendLine($"| --- | --- |{string.Concat(MainColumns.Select(_ => " ---: |"))} ---: |");
        foreach (var t in transports)
        {
            foreach (var v in vmms)
            {
                var cells = MainColumns.Select(c => Cell(Of(v, s, t, c.Value), c.Format));
                sb.AppendLine($"| {t.Label()} | {v.Name} | {string.Join(" | ", cells)} | {Good(v, s, t).Count()} |");
            }
            var ratios = MainColumns.Select(c => Ratio(Of(Tern, s, t, c.Value).Median, Of(Qemu, s, t, c.Value).Median));
            sb.AppendLine($"| {t.Label()} | Tern ÷ QEMU | {string.Join(" | ", ratios)} | |");
        }
        return sb.ToString();
    }

    /// <summary>Medians of the other gaps and of what each VMM reported about its rounds.</summary>
    public string DetailTable()
    {
        var sb = new StringBuilder();
        sb.AppendLine($"| Scenario | Transport | VMM | {string.Join(" | ", DetailColumns.Select(c => c.Header))} |");
        sb.AppendLine($"| --- | --- | --- |{string.Concat(DetailColumns.Select(_ => " ---: |"))}");
        foreach (var s in scenarios)
        foreach (var t in transports)
        foreach (var v in vmms)
        {
            var cells = DetailColumns.Select(c => Format(Of(v, s, t, c.Value).Median, c.Format));
            sb.AppendLine($"| {s.Name} | {t.Label()} | {v.Name} | {string.Join(" | ", cells)} |");
        }
        return sb.ToString();
    }

    public Spread Loopback(Transport t) => Spread.Of(loopback.Where(l => l.Transport == t).Select(l => l.MiBPerSecond));

    public Spread FreshMemory => Spread.Of(freshMemory);

    /// <summary>The loopback rate of each transport and the fresh-memory rate, as measured in this run.</summary>
    public string LimitsTable()
    {
        var sb = new StringBuilder("| Limit | median MiB/s | min | max | n |\n| --- | ---: | ---: | ---: | ---: |\n");
        void Row(string name, Spread l) => sb.AppendLine($"| {name} | {Format(l.Median, "F0")} | {Format(l.Min, "F0")} | {Format(l.Max, "F0")} | {l.Count} |");
        foreach (var t in transports) Row($"{t.Label()} loopback", Loopback(t));
        Row(Tern.MemPath is null ? "fresh memory (1 GiB, huge pages)" : "hugetlbfs pool memory (1 GiB, first touch after the pool was warmed)", FreshMemory);
        return sb.ToString();
    }

    /// <summary>One line per failed migration, or an empty string.</summary>
    public string Failures()
    {
        var failed = samples.Where(x => !x.Succeeded).ToList();
        if (failed.Count == 0) return "";
        var sb = new StringBuilder("Failed migrations (left out of the figures):\n\n");
        foreach (var f in failed)
            sb.AppendLine($"- round {f.Round}, {scenarios.First(s => s.Key == f.Scenario).Name}, {f.Transport.Label()}, {f.Vmm}: {f.Failure!.Replace("|", "\\|")}");
        return sb.ToString();
    }

    /// <summary>Successful samples whose switch-over cut a TICK line in two (or lost it).</summary>
    public IEnumerable<MigrationSample> CutTickLines => samples.Where(x => x.Succeeded && x.Gaps!.SwitchOverLine is not null);

    /// <summary>Successful samples whose switch-over gap held a memory check (the pause then includes the check).</summary>
    public IEnumerable<MigrationSample> ChecksInSwitchOver => samples.Where(x => x.Succeeded && x.Gaps!.CheckInSwitchOver);

    private IEnumerable<MigrationSample> Good(MigrationVmm v, MigrationScenario s, Transport t) =>
        samples.Where(x => x.Succeeded && x.Vmm == v.Name && x.Scenario == s.Key && x.Transport == t);

    private static string Cell(Spread x, string format) =>
        x.Count == 0 ? "n/a" : $"{Format(x.Median, format)} ({Format(x.Min, format)}–{Format(x.Max, format)})";

    public static string Format(double v, string format) => double.IsFinite(v) ? v.ToString(format, Invariant) : "n/a";

    public static string Ratio(double tern, double qemu) => Format(tern / qemu, "F2");
}

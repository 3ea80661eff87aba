using System.Globalization;
using System.Text;

namespace Tern.Bench;

/// <summary>The main benchmark: boot to READY and memory overhead, Tern against QEMU microvm and q35.</summary>
public static class BootSection
{
    public const string Heading = "## Boot to READY and memory overhead";
    private const double OverheadTargetMiB = 60;

    public static IReadOnlyList<Contender> Contenders(BenchOptions o, BenchShape shape) =>
    [
        Bench.Contenders.Tern(o.Tern, o.Kernel, shape),
        Bench.Contenders.Qemu(o.Qemu, "microvm", o.Kernel, shape, "QEMU microvm"),
        Bench.Contenders.Qemu(o.Qemu, "q35", o.Kernel, shape, "QEMU q35"),
    ];

    public static IReadOnlyList<Scenario> Scenarios(BenchOptions o) =>
        o.FillMiB > 0 ? [Scenario.Idle, Scenario.Fill(o.FillMiB)] : [Scenario.Idle];

    public static string Render(BenchOptions o, MachineFacts facts, DateTime started, (string Start, string End) load, IReadOnlyList<Contender> contenders,
        IReadOnlyList<Scenario> scenarios, IReadOnlyList<BootSample> samples)
    {
        var report = new BootReport(contenders, scenarios, samples);
        var shape = new BenchShape(o.MemoryMiB, o.Vcpus);
        var sb = new StringBuilder();
        sb.AppendLine(SectionText.Provenance(o, started, "bench/run.sh", load)).AppendLine();
        sb.AppendLine(SectionText.Machine(facts, shape)).AppendLine();
        sb.AppendLine("Command lines (guest `" + Scenario.Idle.Append + "`; the fill guest differs only in `-append \"" +
                      (scenarios.Count > 1 ? scenarios[1].Append : "") + "\"`):").AppendLine();
        sb.Append(SectionText.Commands(contenders, Scenario.Idle)).AppendLine();

        sb.AppendLine("### Time from process start to READY").AppendLine();
        sb.Append(report.TimeTable(RatioStyle.TernOverThis)).AppendLine();
        sb.AppendLine("### Host memory once HALT is printed (MiB, medians)").AppendLine();
        sb.Append(report.MemoryTable(RatioStyle.TernOverThis)).AppendLine();

        sb.AppendLine("### Targets").AppendLine();
        sb.Append(Targets(report, contenders, scenarios)).AppendLine();
        string failures = report.Failures();
        if (failures.Length > 0) sb.AppendLine(failures);

        sb.AppendLine("### Method and notes").AppendLine();
        sb.AppendLine("- " + SectionText.MemoryMethod(o));
        sb.AppendLine("- Ratios are Tern's median over the peer's: below 1.00 Tern is faster (or smaller).");
        sb.AppendLine("- QEMU microvm boots the test kernel to READY with its defaults (acpi, pit, pic, rtc all `auto`); " +
                      "`-machine microvm,acpi=on`, `acpi=off` (the guest then prints `ACPI none`, `madt=0`) and " +
                      "`pit=on,pic=on,rtc=on` reach READY too. What microvm lacks is port 0x61 (no PC speaker / PIT " +
                      "channel-2 gate), so the test kernel's PIT calibration fails at once and it prints " +
                      "`WARN TSC calibration failed: assuming 2 GHz`. `-cpu " + Bench.Contenders.QemuCpu + "` makes QEMU " +
                      "publish the TSC frequency in CPUID 0x40000010, the guest reads it there and calibrates nothing; " +
                      "QEMU q35 gets the same -cpu. Plain `-cpu host` aborts on this host (arch-capabilities).");
        sb.AppendLine("- Tern publishes the TSC frequency in CPUID 0x40000010 as well (the guest prints `TSC khz=...` and " +
                      "calibrates nothing). It starts the guest's vCPUs as soon as the machine is built, while its actor " +
                      "system is still starting. Tern is measured as ./tern ships it: a native (NativeAOT) executable, " +
                      "which hands `tern node` to the ReadyToRun build beside it; the startup profile " +
                      "section (`bench/run.sh --profile`) measures the ReadyToRun and JIT builds against it.");
        sb.AppendLine("- QEMU q35 runs SeaBIOS first, which kvm_pvm emulates slowly: that is most of its time.");
        return sb.ToString();
    }

    private static string Targets(BootReport report, IReadOnlyList<Contender> contenders, IReadOnlyList<Scenario> scenarios)
    {
        var tern = contenders[0];
        var microvm = contenders[1];
        var ci = CultureInfo.InvariantCulture;
        var sb = new StringBuilder();
        double t = report.ReadyMs(tern, Scenario.Idle).Median, m = report.ReadyMs(microvm, Scenario.Idle).Median;
        sb.AppendLine(string.Create(ci,
            $"- Boot to READY at most QEMU microvm's: Tern {t:F1} ms vs {m:F1} ms (×{t / m:F2}): **{(t <= m ? "met" : "not met")}**."));
        foreach (var s in scenarios)
        {
            double over = report.MemoryMiB(tern, s, x => x.OverheadKb).Median;
            sb.AppendLine(string.Create(ci,
                $"- Overhead under {OverheadTargetMiB:F0} MiB ({s.Name}): Tern {over:F1} MiB: **{(over < OverheadTargetMiB ? "met" : "not met")}**."));
        }
        return sb.ToString();
    }
}

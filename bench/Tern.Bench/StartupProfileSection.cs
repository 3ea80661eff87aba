using System.Text;

namespace Tern.Bench;

/// <summary>
/// `bench/run.sh --profile`: Tern as shipped (native) against its other builds and runtime settings
/// (ReadyToRun, tiered compilation knobs) on the idle guest, with the QEMU peers in the same run.
/// </summary>
public static class StartupProfileSection
{
    public const string Heading = "## Tern startup profile (boot to READY)";

    /// <summary>
    /// Without +invtsc QEMU publishes no TSC frequency: on q35 the guest calibrates on PIT channel 2 as Tern's
    /// guest must; on microvm (no port 0x61) calibration fails at once and the guest assumes 2 GHz.
    /// </summary>
    private const string QemuCpuWithoutTscLeaf = "host,-arch-capabilities";

    public static IReadOnlyList<Contender> Contenders(BenchOptions o, BenchShape shape)
    {
        var list = new List<Contender> { Bench.Contenders.Tern(o.Tern, o.Kernel, shape, "Tern (native, as shipped)") };
        list.AddRange(o.Variants.Select(v => Bench.Contenders.Tern(v.Executable, o.Kernel, shape, $"Tern {v.Label}", v.Environment)));
        list.Add(Bench.Contenders.Qemu(o.Qemu, "microvm", o.Kernel, shape, "QEMU microvm"));
        list.Add(Bench.Contenders.Qemu(o.Qemu, "microvm", o.Kernel, shape, "QEMU microvm, no TSC leaf", QemuCpuWithoutTscLeaf));
        list.Add(Bench.Contenders.Qemu(o.Qemu, "q35", o.Kernel, shape, "QEMU q35"));
        list.Add(Bench.Contenders.Qemu(o.Qemu, "q35", o.Kernel, shape, "QEMU q35, PIT calibration", QemuCpuWithoutTscLeaf));
        return list;
    }

    public static string Render(BenchOptions o, MachineFacts facts, DateTime started, (string Start, string End) load, IReadOnlyList<Contender> contenders,
        IReadOnlyList<BootSample> samples)
    {
        var report = new BootReport(contenders, [Scenario.Idle], samples);
        var shape = new BenchShape(o.MemoryMiB, o.Vcpus);
        var sb = new StringBuilder();
        sb.AppendLine(SectionText.Provenance(o, started, "bench/run.sh --profile", load)).AppendLine();
        sb.AppendLine(SectionText.Machine(facts, shape)).AppendLine();
        sb.AppendLine("Command lines (the variants differ from the shipped native Tern in executable and environment only):").AppendLine();
        sb.Append(SectionText.Commands(contenders, Scenario.Idle)).AppendLine();
        sb.AppendLine("### Time from process start to READY").AppendLine();
        sb.Append(report.TimeTable(RatioStyle.ThisOverTern)).AppendLine();
        sb.AppendLine("### Host memory once HALT is printed (MiB, medians)").AppendLine();
        sb.Append(report.MemoryTable(RatioStyle.ThisOverTern)).AppendLine();
        string failures = report.Failures();
        if (failures.Length > 0) sb.AppendLine(failures);
        sb.AppendLine("Ratios are this row's median over the shipped native Tern's: below 1.00 the row is faster (or smaller). " +
                      "\"QEMU q35, PIT calibration\" drops +invtsc, so its guest times PIT channel 2 before READY as Tern's does; " +
                      "its difference from \"QEMU q35\" is the price of that calibration under this KVM (often lost in SeaBIOS's spread). " +
                      "\"QEMU microvm, no TSC leaf\" is the plain `-cpu host,-arch-capabilities` command: its guest skips calibration " +
                      "(it fails at once) and runs with a wrong 2 GHz clock.");
        sb.AppendLine().AppendLine("- " + SectionText.MemoryMethod(o));
        return sb.ToString();
    }
}

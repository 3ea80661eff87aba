using System.Globalization;
using System.Text;
using System.Text.Json.Nodes;

namespace Tern.Bench.Migration;

/// <summary>The "## Live migration" section of RESULTS.md: how it was run, the tables, the targets, the method.</summary>
public static class MigrationText
{
    private const double PauseTargetMs = 50;
    private const double TotalTimeTargetRatio = 0.25;

    public static string Render(BenchOptions o, MachineFacts facts, DateTime started, (string Start, string End) load, MigrationReport r)
    {
        var sb = new StringBuilder();
        sb.AppendLine(SectionText.Provenance(o, started, o.MigrationMemPath is null ? "bench/run.sh --migration" : "bench/run.sh --migration-hugetlbfs", load, "scenario and transport")).AppendLine();
        sb.AppendLine("The machine was shared with other engineers' builds and tests while this ran, so the spreads include their load.").AppendLine();
        sb.AppendLine(SectionText.Host(facts) + " Guest: tests/guest/build/testkernel.elf (PVH entry), 2 vCPUs; RAM and workload per scenario below, the same for both VMMs.").AppendLine();
        sb.Append(Commands(r)).AppendLine();

        foreach (var s in r.Scenarios)
        {
            sb.AppendLine($"### {s.Name}").AppendLine();
            sb.Append(r.ScenarioTable(s)).AppendLine();
        }
        sb.AppendLine("### Tick gaps and where the time goes (medians)").AppendLine();
        sb.Append(r.DetailTable()).AppendLine();
        sb.AppendLine("### Machine limits (same run, no VM running)").AppendLine();
        sb.Append(r.LimitsTable()).AppendLine();

        sb.AppendLine("### Targets").AppendLine();
        sb.Append(Targets(r)).AppendLine();
        string failures = r.Failures();
        if (failures.Length > 0) sb.AppendLine(failures);

        sb.AppendLine("### Method and notes").AppendLine();
        sb.Append(Method(o, r));
        return sb.ToString();
    }

    private static string Commands(MigrationReport r)
    {
        var example = r.Scenarios.FirstOrDefault(s => s.Key == "random256") ?? r.Scenarios[0];
        var sb = new StringBuilder($"Command lines of the destination for \"{example.Name}\" over TCP (the source's is the same without `-incoming`; " +
                                   "over UNIX, `-incoming unix:DIR/migration.sock`; QMP.sock is each VM's own socket):\n\n```\n");
        foreach (var v in r.Vmms) sb.AppendLine($"# {v.Name}\n{v.CommandLine(example, "tcp:127.0.0.1:PORT")}");
        sb.AppendLine("```").AppendLine();
        sb.AppendLine("| Scenario | -m | -append |").AppendLine("| --- | ---: | --- |");
        foreach (var s in r.Scenarios) sb.AppendLine($"| {s.Name} | {s.MemoryMiB}M | `{s.Append}` |");
        return sb.ToString();
    }

    private static string Targets(MigrationReport r)
    {
        var ci = CultureInfo.InvariantCulture;
        var sb = new StringBuilder();
        foreach (var s in r.Scenarios.Where(s => s.RandomData))
        foreach (var t in r.Transports)
        {
            double tern = r.Of(r.Tern, s, t, MigrationReport.Total).Median, qemu = r.Of(r.Qemu, s, t, MigrationReport.Total).Median;
            double rate = r.Of(r.Tern, s, t, MigrationReport.Throughput).Median, limit = r.Loopback(t).Median;
            double sent = r.Of(r.Tern, s, t, MigrationReport.Sent).Median, fresh = r.FreshMemory.Median;
            bool met = tern <= TotalTimeTargetRatio * qemu;
            sb.AppendLine(string.Create(ci,
                $"- Total time at most a quarter of QEMU's ({s.Name}, {t.Label()}): Tern {F0(tern)} ms vs QEMU {F0(qemu)} ms (×{MigrationReport.Ratio(tern, qemu)}): " +
                $"**{Verdict(met, tern, qemu)}**. Tern's throughput {F0(rate)} MiB/s is {MigrationReport.Format(100 * rate / limit, "F0")} % of the {t.Label()} loopback limit ({F0(limit)} MiB/s); " +
                $"backing the {F0(sent)} MiB it received {(r.Tern.MemPath is null ? "with fresh memory" : "from the hugetlbfs pool")} alone takes {F0(1000 * sent / fresh)} ms at this run's rate ({F0(fresh)} MiB/s); " +
                $"a quarter of QEMU's time would need {F0(sent / (TotalTimeTargetRatio * qemu / 1000))} MiB/s end to end."));
        }
        foreach (var s in r.Scenarios)
        foreach (var t in r.Transports)
        {
            var pause = r.Of(r.Tern, s, t, MigrationReport.Pause);
            var qemu = r.Of(r.Qemu, s, t, MigrationReport.Pause);
            sb.AppendLine(string.Create(ci,
                $"- Guest-visible pause under {PauseTargetMs:F0} ms ({s.Name}, {t.Label()}): Tern {F0(pause.Median)} ms (worst {F0(pause.Max)}; QEMU {F0(qemu.Median)}): " +
                $"**{Verdict(pause.Median < PauseTargetMs, pause.Median, 0)}**."));
        }
        return sb.ToString();
    }

    private static string F0(double v) => MigrationReport.Format(v, "F0");

    private static string Verdict(bool met, double a, double b) => double.IsNaN(a) || double.IsNaN(b) ? "not measured" : met ? "met" : "not met";

    private static string Method(BenchOptions o, MigrationReport r)
    {
        string Limits(MigrationVmm v)
        {
            var p = r.Samples.FirstOrDefault(x => x.Vmm == v.Name && x.Parameters is not null)?.Parameters;
            return p is null ? $"{v.Name}: not read" : $"{v.Name} downtime-limit {Value(p, "downtime-limit")} ms, max-bandwidth {Value(p, "max-bandwidth")} B/s";
        }
        var sb = new StringBuilder();
        void Item(string text) => sb.AppendLine("- " + text);
        Item("Each migration: start the source with a QMP socket; wait for the guest's `SOAK timing` line (the fill is done; `READY` for the idle " +
             $"guest), then {MigrationScenario.Baseline.TotalSeconds:F0} s of ticks; start the destination with the same command line plus `-incoming`, " +
             "wait until its query-status says `inmigrate`; on the source set the parameters below, `migrate`, poll query-migrate every 50 ms until it " +
             "ends; then wait for the guest to go on at the destination (its next memory check `SOAK check ... ok`, or 100 ticks for the idle guest) " +
             "and kill both. A migration counts only if the tick numbers run on without a gap from source to destination and no line says BAD or EXC.");
        Item("Total time, reported downtime and bytes sent are the source's query-migrate `total-time`, `downtime` and `ram.transferred` at " +
             "completion; throughput = `ram.transferred` ÷ `total-time`. The VMMs count bytes alike but not identically (each counts its own page headers).");
        Item($"Guest-visible pause: the guest prints `TICK n` every {o.TickMs} ms on TSC deadlines and never skips one (tests/guest/README.md); the " +
             "benchmark timestamps every console line as it reads it from each VMM's stdout pipe. The pause is the largest gap between consecutive TICK " +
             "arrivals from 1 s before the source's last tick to 1 s after the destination's first; the switch-over gap (last source tick to first " +
             "destination tick) is one of them. A pause shorter than one tick period cannot show, and a gap is the pause plus up to one period, so " +
             $"the resolution is about {o.TickMs} ms; the reading threads share the machine's {Environment.ProcessorCount} cores with the VMs, which adds jitter " +
             "(the \"second before migrate\" column shows that floor).");
        Item("Memory checks: the random-data guests checksum their whole region every 2 s (256 MiB ≈ 10–30 ms, 1 GiB ≈ 40–100 ms here); " +
             "a gap that holds a check is not a pause and is left out, unless it is the switch-over gap itself" +
             (r.ChecksInSwitchOver.Any() ? $" (it was in {r.ChecksInSwitchOver.Count()} migration(s): {string.Join(", ", r.ChecksInSwitchOver.Select(x => $"round {x.Round} {x.Scenario} {x.Transport.Label()} {x.Vmm}"))})" : " (it never was in this run)") +
             ". The rewriting guest's checks only report what its passes found, and cost nothing.");
        if (r.CutTickLines.Any())
            Item("TICK lines cut by the switch-over (the guest was printing one when the source stopped; the tick counts when its rest arrived): " +
                 string.Join("; ", r.CutTickLines.Select(x => $"round {x.Round} {x.Scenario} {x.Transport.Label()} {x.Vmm}: {x.Gaps!.SwitchOverLine}")) + ".");
        Item($"Parameters as query-migrate-parameters showed them before `migrate`: {Limits(r.Tern)}; {Limits(r.Qemu)}. QEMU's max-bandwidth is raised " +
             $"with migrate-set-parameters (its default caps it at 128 MiB/s); Tern has no cap by default (0). Both keep their default downtime-limit and " +
             "send on one socket (multifd off). Only the rewriting guest gets the `auto-converge` capability, on both VMMs: it dirties memory faster " +
             "than either can send, and without it neither would converge.");
        Item($"QEMU runs with `-cpu {MigrationVmm.QemuCpu}`: the boot benchmark's `+invtsc` makes QEMU refuse to migrate (\"State blocked by " +
             "non-migratable CPU device (invtsc flag)\"). Without the TSC frequency leaf the guest calibrates its TSC on PIT channel 2 at boot, as it does under Tern.");
        Item($"Loopback limit: before each round's migrations, one sender and one receiver thread in tern-bench move {o.LoopbackMiB} MiB over a 127.0.0.1 " +
             "TCP connection and over a UNIX stream socket, in 1 MiB writes and reads with default socket options; MiB/s = bytes ÷ time to the receiver's last byte.");
        Item($"Fresh memory: this machine is itself a VM whose host takes back memory its kernel frees (free page reporting, about 2 s after the free), " +
             "so a destination's first touch of its RAM costs far more than on bare metal, for both VMMs. Each round, after a quiet " +
             $"{MigrationSection.MemorySettle.TotalSeconds:F0} s, tern-bench maps 1 GiB anonymous with huge pages (as both VMMs map guest RAM) and writes one " +
             "byte per 4 KiB page; MiB/s = 1024 ÷ that time. Every migration also starts after the same quiet time, so each VMM's destination " +
             "meets memory in the same state whatever ran before it.");
        if (r.Tern.MemPath is not null)
            Item("Guest RAM on hugetlbfs (`bench/run.sh --migration-hugetlbfs`): both VMMs get `-mem-path` on a hugetlbfs mount of the run's own " +
                 "(the same option in both; RAM mapped privately from a file made there), with the kernel's 2 MiB pool sized for a source and a destination of " +
                 "the largest scenario. Pool pages stay with the pool when a VM exits instead of going back to this VM's own host, so after the pool " +
                 "is touched once at the start (both VMMs then meet pages that are backed, as on any host whose pool has been in use), a destination " +
                 "pays only for the kernel clearing each huge page. The memory row of the limits table is then a 1 GiB mapping from the same mount, " +
                 "touched once per 4 KiB.");
        Item("Ratios are Tern's median over QEMU's: below 1.00 Tern is faster (or pauses less, or sends less).");
        Item("Failed migrations are listed above and left out of the medians, so n can be below the round count.");
        return sb.ToString();
    }

    private static string Value(JsonNode p, string key) => p[key]?.ToJsonString() ?? "absent";
}

using System.Globalization;
using System.Text;

namespace Tern.Bench;

/// <summary>Paragraphs the RESULTS.md sections share: when, on what, with which command lines.</summary>
public static class SectionText
{
    /// <summary>The host's 1-minute load average now: other work on the machine shows up in the spread.</summary>
    public static string LoadAverage() =>
        File.Exists("/proc/loadavg") ? File.ReadAllText("/proc/loadavg").Split(' ')[0] : "unknown";

    public static string Provenance(BenchOptions o, DateTime started, string command, (string Start, string End) load, string perRound = "guest") =>
        $"Written by `{command}` (bench/Tern.Bench) on {started.ToString("yyyy-MM-dd HH:mm", CultureInfo.InvariantCulture)} UTC; " +
            $"Tern built in Release from `{o.Revision}`. {o.Rounds} rounds after {o.WarmupRounds} discarded warm-up round(s); each round starts every VMM once per {perRound}, " +
            "rotating which goes first, so drift falls on all alike. Medians with min–max spread; every figure below was measured in this run. " +
        $"Host load average (1 min) at start / end: {load.Start} / {load.End} on {Environment.ProcessorCount} cores.";

    public static string Machine(MachineFacts f, BenchShape shape) =>
        Host(f) + $" Guest: tests/guest/build/testkernel.elf (PVH entry), {shape.MemoryMiB} MiB RAM, {shape.Vcpus} vCPUs for every VMM.";

    /// <summary>The machine, its KVM and the VMM versions, without the guest.</summary>
    public static string Host(MachineFacts f)
    {
        bool pvm = f.KvmModules.Split(", ").Contains("kvm_pvm");
        return $"Machine: {f.CpuModel} ({f.Cores} cores), {f.HostMemory} RAM, Linux {f.Kernel}; /dev/kvm is " +
               (pvm ? "**kvm_pvm**, a software nested virtualisation (guest ring 0 emulated, ring 3 native)" : "hardware KVM") +
               $", loaded modules {f.KvmModules}; transparent huge pages: `{f.TransparentHugePages}`; {f.QemuVersion}; {f.DotnetRuntime}.";
    }

    public static string Commands(IEnumerable<Contender> contenders, Scenario scenario)
    {
        var sb = new StringBuilder("```\n");
        foreach (var c in contenders) sb.AppendLine($"# {c.Name}\n{c.CommandLine(scenario.Append)}");
        return sb.Append("```\n").ToString();
    }

    public static string MemoryMethod(BenchOptions o) =>
        $"Memory is read {o.Settle.TotalMilliseconds:F0} ms after the HALT line, from /proc/PID/smaps: total = the sum of Rss; " +
        "guest RAM = the Rss of the anonymous mapping(s) whose size is exactly a guest RAM region's (Tern: one of " +
        "min(RAM, 0xB0000000) plus one above 4 GiB when RAM is larger; QEMU: its one pc.ram / microvm.ram block); " +
        "overhead = total − guest RAM, split into private (heaps, stacks, JIT code: Σ Anonymous plus the Rss of /memfd: " +
        "mappings, where .NET double-maps its JIT code, − guest RAM) and file-backed (executables, shared libraries, " +
        "mapped assemblies: the rest, counted in full even when shared with other processes). Time is a Stopwatch from just before Process.Start to the moment the READY line is read " +
        "from the VMM's stdout pipe. Each VM is killed after it is measured.";
}

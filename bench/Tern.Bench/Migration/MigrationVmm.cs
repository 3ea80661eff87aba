using System.Text.Json.Nodes;

namespace Tern.Bench.Migration;

/// <summary>
/// A VMM under measurement: its command line for a guest (the boot benchmark's, plus a QMP socket
/// and, on the destination, -incoming), and the migration parameters it gets before `migrate`.
/// </summary>
/// <param name="QmpOption">The -qmp value for a socket path, in the VMM's own spelling.</param>
/// <param name="Parameters">migrate-set-parameters arguments sent before every migration, or null.</param>
/// <param name="MemPath">-mem-path for guest RAM (both VMMs spell it alike), or null for anonymous memory.</param>
/// <param name="Reshape">Rewrites the command line before -qmp is added (another -machine, an -object), or null.</param>
/// <param name="Capabilities">migrate-set-capabilities turned on on both sides before `migrate`, or null.</param>
public sealed record MigrationVmm(string Name, bool IsTern, Func<BenchShape, Contender> Contender,
    Func<string, string> QmpOption, JsonObject? Parameters, string? MemPath,
    Func<MigrationScenario, List<string>, List<string>>? Reshape = null, IReadOnlyList<string>? Capabilities = null)
{
    /// <summary>
    /// QEMU's CPU for migration: +invtsc (the boot benchmark's) makes QEMU refuse to migrate ("State
    /// blocked by non-migratable CPU device (invtsc flag)"), so its guest calibrates the TSC on the PIT, as Tern's does.
    /// </summary>
    public const string QemuCpu = "host,-arch-capabilities";

    /// <summary>QEMU caps migration at 128 MiB/s unless told otherwise; 100 GB/s is no cap on this machine.</summary>
    public const long QemuMaxBandwidth = 100_000_000_000;

    public static IReadOnlyList<MigrationVmm> Both(BenchOptions o) =>
    [
        new("Tern", true, shape => Contenders.Tern(o.Tern, o.Kernel, shape), path => $"unix:{path},server,nowait", null, o.MigrationMemPath),
        new("QEMU", false, shape => Contenders.Qemu(o.Qemu, "q35", o.Kernel, shape, "QEMU q35", QemuCpu),
            path => $"unix:{path},server=on,wait=off", new JsonObject { ["max-bandwidth"] = QemuMaxBandwidth }, o.MigrationMemPath),
    ];

    public IReadOnlyList<string> Arguments(MigrationScenario s, string qmpPath, string? incoming)
    {
        var args = Contender(Shape(s)).Arguments(s.Append).ToList();
        if (Reshape is not null) args = Reshape(s, args);
        if (MemPath is not null) args.AddRange(["-mem-path", MemPath]);
        args.AddRange(["-qmp", QmpOption(qmpPath)]);
        if (incoming is not null) args.AddRange(["-incoming", incoming]);
        return args;
    }

    public string Executable(MigrationScenario s) => Contender(Shape(s)).Executable;

    /// <summary>The destination's command as a shell would show it, for RESULTS.md.</summary>
    public string CommandLine(MigrationScenario s, string incoming) =>
        $"{Contender(Shape(s)).CommandLine(s.Append)}{(MemPath is null ? "" : " -mem-path HUGETLBFS")} -qmp {QmpOption("QMP.sock")} -incoming {incoming}";

    private static BenchShape Shape(MigrationScenario s) => new(s.MemoryMiB, 2);
}

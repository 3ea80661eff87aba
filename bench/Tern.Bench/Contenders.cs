namespace Tern.Bench;

/// <summary>The command lines of the VMMs compared: Tern, QEMU microvm and QEMU q35, same guest, RAM and vCPUs.</summary>
public static class Contenders
{
    // Tern's q35 map: RAM below the 32-bit hole at 0xB000_0000, the rest above 4 GiB (src/Kvm/Arch/MemoryLayout.cs).
    private const ulong TernLowRamTop = 0xB000_0000;

    /// <summary>
    /// QEMU's CPU model. Plain "host" aborts on this host (arch-capabilities); +invtsc makes QEMU
    /// publish the TSC frequency in CPUID 0x40000010, without which the test kernel cannot
    /// calibrate on microvm (no port 0x61, so no PIT channel 2 gate).
    /// </summary>
    public const string QemuCpu = "host,-arch-capabilities,+invtsc";

    public static Contender Tern(string executable, string kernel, BenchShape shape, string name = "Tern",
        IReadOnlyDictionary<string, string>? environment = null) =>
        new(name, executable,
            append => ["-machine", "q35", "-kernel", kernel, "-append", append,
                       "-m", $"{shape.MemoryMiB}M", "-smp", $"{shape.Vcpus}", "-serial", "stdio"],
            environment ?? new Dictionary<string, string>(),
            TernRamSizes(shape.MemoryBytes),
            IsTern: true);

    public static Contender Qemu(string executable, string machine, string kernel, BenchShape shape, string name,
        string cpu = QemuCpu) =>
        new(name, executable,
            append => ["-enable-kvm", "-cpu", cpu, "-machine", machine,
                       "-m", $"{shape.MemoryMiB}M", "-smp", $"{shape.Vcpus}", "-nodefaults", "-nographic",
                       "-serial", "stdio", "-kernel", kernel, "-append", append],
            new Dictionary<string, string>(),
            [shape.MemoryBytes], // one RAM block (pc.ram / microvm.ram); the 4 GiB split is an alias of it
            IsTern: false);

    private static IReadOnlyList<ulong> TernRamSizes(ulong ram) =>
        ram > TernLowRamTop ? [TernLowRamTop, ram - TernLowRamTop] : [ram];
}

/// <summary>The guest shape every contender gets.</summary>
public sealed record BenchShape(ulong MemoryMiB, int Vcpus)
{
    public ulong MemoryBytes => MemoryMiB << 20;
}

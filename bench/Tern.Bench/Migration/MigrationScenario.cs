namespace Tern.Bench.Migration;

/// <summary>
/// A guest to migrate: its RAM and the test kernel's command line (tests/guest/README.md). Every
/// scenario prints TICK lines every tick_ms, so the host can time the pause from their arrival.
/// </summary>
/// <param name="Key">Short name for --scenarios.</param>
/// <param name="Name">Label for the tables.</param>
/// <param name="CheckEvery">soak's check_every (0: no checks); a check follows tick n when n % CheckEvery == 0.</param>
/// <param name="ChecksTakeTime">A check checksums the whole region (random data) rather than reporting what the rewrite passes found.</param>
/// <param name="AutoConverge">Both VMMs get the auto-converge capability: the guest dirties faster than any link drains.</param>
/// <param name="RandomData">Counts for the "a quarter of QEMU's total time" target.</param>
public sealed record MigrationScenario(string Key, string Name, ulong MemoryMiB, string Append, int CheckEvery,
    bool ChecksTakeTime, bool AutoConverge, bool RandomData)
{
    /// <summary>How long the guest ticks before the migration starts: the gaps there show the machine's own noise.</summary>
    public static readonly TimeSpan Baseline = TimeSpan.FromSeconds(1);

    public bool Soak => CheckEvery > 0;

    /// <summary>The line after which the guest is ready to migrate: the fill is done and ticks begin.</summary>
    public bool IsReady(string line) => Soak ? line.StartsWith("SOAK timing", StringComparison.Ordinal) : line == "READY";

    public static IReadOnlyList<MigrationScenario> All(int tickMs)
    {
        int twoSeconds = Math.Max(1, 2000 / tickMs), oneSecond = Math.Max(1, 1000 / tickMs);
        return
        [
            new("idle", "512 MiB idle", 512, $"mode=ticks tick_ms={tickMs}", 0, false, false, false),
            new("random256", "512 MiB, 256 MiB random", 512, $"mode=soak mib=256 tick_ms={tickMs} check_every={twoSeconds}", twoSeconds, true, false, true),
            new("random1g", "2 GiB, 1 GiB random", 2048, $"mode=soak mib=1024 tick_ms={tickMs} check_every={twoSeconds}", twoSeconds, true, false, true),
            new("rewrite", "1 GiB, rewriting 256 MiB", 1024, $"mode=soak mib=256 rewrite=1 tick_ms={tickMs} check_every={oneSecond}", oneSecond, false, true, false),
        ];
    }

    public static IReadOnlyList<MigrationScenario> Select(IReadOnlyList<string> keys, int tickMs)
    {
        var all = All(tickMs);
        return keys.Select(k => all.FirstOrDefault(s => s.Key == k)
            ?? throw new ArgumentException($"unknown scenario '{k}' (known: {string.Join(", ", all.Select(s => s.Key))})")).ToList();
    }
}

/// <summary>The socket the migration stream travels on.</summary>
public enum Transport { Tcp, Unix }

public static class Transports
{
    public static string Label(this Transport t) => t == Transport.Tcp ? "TCP" : "UNIX";

    /// <summary>The -incoming / migrate URI: a free TCP port on 127.0.0.1, or a socket in the run's directory.</summary>
    public static string Uri(this Transport t, string directory) =>
        t == Transport.Tcp ? $"tcp:127.0.0.1:{LoopbackProbe.FreePort()}" : $"unix:{Path.Combine(directory, "migration.sock")}";

    public static IReadOnlyList<Transport> Parse(IReadOnlyList<string> names) =>
        names.Select(n => n.ToLowerInvariant() switch
        {
            "tcp" => Transport.Tcp,
            "unix" => Transport.Unix,
            _ => throw new ArgumentException($"unknown transport '{n}' (known: tcp, unix)"),
        }).ToList();
}

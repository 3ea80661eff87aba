namespace Tern.Bench;

/// <summary>Command line of tern-bench (see bench/run.sh for the usual invocation).</summary>
public sealed record BenchOptions
{
    public required string Tern { get; init; }
    public required string Kernel { get; init; }
    public string Qemu { get; init; } = "qemu-system-x86_64";
    public int Rounds { get; init; } = 7;
    public int WarmupRounds { get; init; } = 1;
    public ulong MemoryMiB { get; init; } = 512;
    public int Vcpus { get; init; } = 2;
    public int FillMiB { get; init; } = 256;
    public string Results { get; init; } = "bench/RESULTS.md";
    public string Revision { get; init; } = "unknown";
    public TimeSpan Settle { get; init; } = TimeSpan.FromMilliseconds(250);
    public TimeSpan Timeout { get; init; } = TimeSpan.FromSeconds(60);

    /// <summary>Network mode: virtio-net packet rates on a TAP, Tern against QEMU q35 (its own RESULTS.md section).</summary>
    public bool Net { get; init; }

    /// <summary>Migration mode: live migration, Tern against QEMU q35 (its own RESULTS.md section).</summary>
    public bool Migration { get; init; }

    /// <summary>TLS migration mode: 1 GiB migrated with and without TLS, Tern against QEMU (its own RESULTS.md section).</summary>
    public bool MigrationTls { get; init; }

    /// <summary>Same-host migration of shared RAM: Tern handing its memfd over against QEMU copying and with x-ignore-shared (its own section).</summary>
    public bool MigrationLocal { get; init; }

    /// <summary>Migration mode: which scenarios (MigrationScenario keys) and transports (tcp, unix) to run.</summary>
    public IReadOnlyList<string> MigrationScenarios { get; init; } = ["idle", "random256", "random1g", "rewrite"];
    public IReadOnlyList<string> MigrationTransports { get; init; } = ["tcp", "unix"];

    /// <summary>Migration mode: the guest's tick period, which is the resolution of the pause it can show.</summary>
    public int TickMs { get; init; } = 10;

    /// <summary>Migration mode: both VMMs map guest RAM from this directory (-mem-path, a hugetlbfs mount); null: anonymous memory.</summary>
    public string? MigrationMemPath { get; init; }

    /// <summary>Migration mode: a migration not completed after this long is canceled and counted as failed.</summary>
    public int MigrationTimeoutS { get; init; } = 90;

    /// <summary>Migration mode: how much the loopback probe moves per measurement.</summary>
    public int LoopbackMiB { get; init; } = 2048;

    /// <summary>Snapshot mode: save to a file and restore, Tern against QEMU q35 (its own RESULTS.md section).</summary>
    public bool Snapshot { get; init; }

    /// <summary>Snapshot mode: the guests' RAM in MiB (each holds half of it random).</summary>
    public IReadOnlyList<int> SnapshotSizes { get; init; } = [512, 2048];

    /// <summary>Snapshot mode: one restore per VMM and size after dropping the page cache (needs root).</summary>
    public bool SnapshotCold { get; init; } = true;

    /// <summary>Startup-profile mode: Tern variants against Tern's default instead of the main comparison.</summary>
    public bool Profile { get; init; }

    /// <summary>Extra Tern configurations for the profile, each "LABEL|EXECUTABLE|KEY=VALUE,KEY=VALUE".</summary>
    public IReadOnlyList<TernVariant> Variants { get; init; } = [];

    public const string Usage =
        "usage: tern-bench --tern PATH --kernel PATH [--qemu PATH] [--rounds N] [--warmup N] [--mem-mib N] [--smp N]\n" +
        "                  [--fill-mib N (0: no fill guest)] [--results PATH] [--revision TEXT] [--settle-ms N] [--timeout-s N]\n" +
        "                  [--profile [--variant \"LABEL|EXECUTABLE|KEY=VALUE,...\"]...] [--net]\n" +
        "                  [--migration [--scenarios idle,random256,random1g,rewrite] [--transports tcp,unix] [--tick-ms N]\n" +
        "                               [--migration-timeout-s N] [--loopback-mib N] [--mem-path HUGETLBFS-DIR]] (migration: --rounds 3, --warmup 0 unless given)\n" +
        "                  [--migration-tls [--tick-ms N] [--migration-timeout-s N]] (also --rounds 3, --warmup 0 unless given)\n" +
        "                  [--migration-local [--tick-ms N] [--migration-timeout-s N]] (also --rounds 3, --warmup 0 unless given)\n" +
        "                  [--snapshot [--snapshot-sizes 512,2048] [--snapshot-cold 1|0] [--migration-timeout-s N]] (also --rounds 3, --warmup 0 unless given)";

    public static BenchOptions Parse(string[] args)
    {
        var values = new Dictionary<string, string>();
        var variants = new List<TernVariant>();
        bool profile = false, net = false, migration = false, migrationTls = false, migrationLocal = false, snapshot = false;
        for (int i = 0; i < args.Length; i++)
        {
            string name = args[i];
            if (name == "--profile") { profile = true; continue; }
            if (name == "--net") { net = true; continue; }
            if (name == "--migration") { migration = true; continue; }
            if (name == "--migration-tls") { migrationTls = true; continue; }
            if (name == "--migration-local") { migrationLocal = true; continue; }
            if (name == "--snapshot") { snapshot = true; continue; }
            if (!name.StartsWith("--", StringComparison.Ordinal) || i + 1 >= args.Length)
                throw new ArgumentException($"unexpected argument '{name}'");
            string value = args[++i];
            if (name == "--variant") variants.Add(TernVariant.Parse(value));
            else values[name] = value;
        }

        string Need(string key) => values.TryGetValue(key, out var v) ? v : throw new ArgumentException($"{key} is required");
        int Int(string key, int fallback) => values.TryGetValue(key, out var v) ? int.Parse(v) : fallback;
        IReadOnlyList<string> List(string key, IReadOnlyList<string> fallback) =>
            values.TryGetValue(key, out var v) ? v.Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries) : fallback;

        var defaults = new BenchOptions { Tern = "", Kernel = "" };
        bool fewRounds = migration || migrationTls || migrationLocal || snapshot; // each round takes minutes
        return new BenchOptions
        {
            Tern = Path.GetFullPath(Need("--tern")),
            Kernel = Path.GetFullPath(Need("--kernel")),
            Qemu = values.GetValueOrDefault("--qemu", defaults.Qemu),
            Rounds = Int("--rounds", fewRounds ? 3 : defaults.Rounds),
            WarmupRounds = Int("--warmup", fewRounds ? 0 : defaults.WarmupRounds),
            MemoryMiB = (ulong)Int("--mem-mib", (int)defaults.MemoryMiB),
            Vcpus = Int("--smp", defaults.Vcpus),
            FillMiB = Int("--fill-mib", defaults.FillMiB),
            Results = values.GetValueOrDefault("--results", defaults.Results),
            Revision = values.GetValueOrDefault("--revision", defaults.Revision),
            Settle = TimeSpan.FromMilliseconds(Int("--settle-ms", (int)defaults.Settle.TotalMilliseconds)),
            Timeout = TimeSpan.FromSeconds(Int("--timeout-s", (int)defaults.Timeout.TotalSeconds)),
            Profile = profile,
            Net = net,
            Migration = migration,
            MigrationTls = migrationTls,
            MigrationLocal = migrationLocal,
            Snapshot = snapshot,
            SnapshotSizes = List("--snapshot-sizes", defaults.SnapshotSizes.Select(n => $"{n}").ToList()).Select(int.Parse).ToList(),
            SnapshotCold = Int("--snapshot-cold", 1) != 0,
            MigrationScenarios = List("--scenarios", defaults.MigrationScenarios),
            MigrationTransports = List("--transports", defaults.MigrationTransports),
            TickMs = Int("--tick-ms", defaults.TickMs),
            MigrationTimeoutS = Int("--migration-timeout-s", defaults.MigrationTimeoutS),
            LoopbackMiB = Int("--loopback-mib", defaults.LoopbackMiB),
            MigrationMemPath = values.TryGetValue("--mem-path", out var memPath) ? Path.GetFullPath(memPath) : null,
            Variants = variants,
        };
    }
}

/// <summary>A Tern build or environment to compare with the default one in the startup profile.</summary>
public sealed record TernVariant(string Label, string Executable, IReadOnlyDictionary<string, string> Environment)
{
    public static TernVariant Parse(string text)
    {
        var parts = text.Split('|');
        if (parts.Length != 3 || parts[0].Length == 0 || parts[1].Length == 0)
            throw new ArgumentException($"--variant wants LABEL|EXECUTABLE|KEY=VALUE,...: '{text}'");
        var env = new Dictionary<string, string>();
        foreach (var pair in parts[2].Split(',', StringSplitOptions.RemoveEmptyEntries))
        {
            int eq = pair.IndexOf('=');
            if (eq <= 0) throw new ArgumentException($"--variant environment entry '{pair}' is not KEY=VALUE");
            env[pair[..eq]] = pair[(eq + 1)..];
        }
        return new TernVariant(parts[0], Path.GetFullPath(parts[1]), env);
    }
}

namespace Tern.Actors.Migration.Engine;

/// <summary>
/// migrate-set-parameters / migrate-set-capabilities, with QEMU's defaults where QEMU has one.
/// </summary>
public sealed record MigrationParameters
{
    /// <summary>The longest pause the guest may see at switch-over, in ms (QEMU's default 300).</summary>
    public long DowntimeLimitMs { get; init; } = 300;

    /// <summary>Bytes per second; 0 means unlimited (QEMU caps at 128 MiB/s by default; Tern does not).</summary>
    public long MaxBandwidth { get; init; }

    /// <summary>Sockets used in parallel when the multifd capability is on (QEMU's default 2).</summary>
    public int MultifdChannels { get; init; } = 2;

    /// <summary>After this long without converging, the migration fails (the guest stays on the source).</summary>
    public long CompletionTimeoutMs { get; init; } = 120_000;

    /// <summary>
    /// Switch over after the round under way, whatever pause the rest costs (the cluster's
    /// on-timeout = force). Not a QMP parameter; off by default.
    /// </summary>
    public bool ForceSwitchover { get; init; }

    /// <summary>Throttle the guest's vCPUs when it dirties memory faster than the link sends it.</summary>
    public bool AutoConverge { get; init; }

    public bool Multifd { get; init; }

    /// <summary>
    /// QEMU's x-ignore-shared: shared RAM is not copied when the destination can map the same
    /// pages. Tern hands a mem-share=on guest's RAM file over a unix: socket (see
    /// MigrationStreamFormat, "Shared RAM handed over"); on by default, so that StratoVirt's
    /// procedure with mem-share=on on both sides moves no RAM. Off: shared RAM is copied.
    /// </summary>
    public bool IgnoreShared { get; init; } = true;

    /// <summary>
    /// QEMU's x-colo: on the source, `migrate` replicates into a standby instead of moving the VM
    /// (see MigrationStreamFormat, "Continuous replication"); on the destination, it accepts being
    /// that standby.
    /// </summary>
    public bool Colo { get; init; }

    /// <summary>
    /// With x-colo, on both sides: the standby keeps its own copy of each writable drive, which the
    /// primary copies during the initial sync, instead of sharing the primary's images (see
    /// MigrationStreamFormat, "Disks"). Tern's own; QEMU's COLO replicates disks with block drivers.
    /// </summary>
    public bool ColoDiskCopy { get; init; }

    /// <summary>QEMU's x-checkpoint-delay: the epoch between two checkpoints, in ms (QEMU's default is 20000; Tern's 50).</summary>
    public long CheckpointDelayMs { get; init; } = 50;

    /// <summary>
    /// A replicating primary whose standby committed nothing for this long stops its guest (the
    /// standby may have been promoted). Not a QMP parameter.
    /// </summary>
    public long ReplicationFenceAfterMs { get; init; } = 2000;

    /// <summary>Send MIGRATION / MIGRATION_PASS events (QEMU's `events` capability).</summary>
    public bool Events { get; init; } = true;

    // Auto-converge steps, as QEMU's defaults: start at 20 %, add 10 % per round that did not converge, at most 99 %.
    public int ThrottleInitialPercent { get; init; } = 20;
    public int ThrottleIncrementPercent { get; init; } = 10;
    public int ThrottleMaxPercent { get; init; } = 99;

    /// <summary>The tls-creds-x509 object every connection of a migration runs TLS with; "" (QEMU's default): no TLS.</summary>
    public string TlsCreds { get; init; } = "";

    /// <summary>The name the destination's certificate must carry; "": the host of the tcp: URI.</summary>
    public string TlsHostname { get; init; } = "";

    /// <summary>Why these parameters cannot be used, or null.</summary>
    public string? Validate() =>
        DowntimeLimitMs is < 1 or > 2_000_000 ? $"downtime-limit {DowntimeLimitMs} is outside 1..2000000 ms"
        : MaxBandwidth < 0 ? $"max-bandwidth {MaxBandwidth} is negative"
        : MultifdChannels is < 1 or > 64 ? $"multifd-channels {MultifdChannels} is outside 1..64"
        : CompletionTimeoutMs < 1000 ? $"completion timeout {CompletionTimeoutMs} ms is below 1000 ms"
        : ThrottleInitialPercent is < 1 or > 99 ? $"cpu-throttle-initial {ThrottleInitialPercent} is outside 1..99"
        : ThrottleIncrementPercent is < 1 or > 99 ? $"cpu-throttle-increment {ThrottleIncrementPercent} is outside 1..99"
        : ThrottleMaxPercent is < 1 or > 99 ? $"max-cpu-throttle {ThrottleMaxPercent} is outside 1..99"
        : CheckpointDelayMs is < 1 or > Wire.MigrationStreamFormat.MaxEpochMs ? $"x-checkpoint-delay {CheckpointDelayMs} is outside 1..{Wire.MigrationStreamFormat.MaxEpochMs} ms"
        : ReplicationFenceAfterMs <= CheckpointDelayMs ? $"the replication fence-after {ReplicationFenceAfterMs} ms must be longer than an epoch ({CheckpointDelayMs} ms)"
        : null;
}

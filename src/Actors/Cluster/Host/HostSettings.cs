using Akka.Configuration;

namespace Tern.Actors.Cluster.Host;

/// <summary>A host's settings, read from <c>tern.host</c> (hocon/cluster.conf says what each key means).</summary>
public sealed record HostSettings(
    TimeSpan ReportInterval,
    ulong? GuestMemoryBytes,
    ulong ReservedMemoryBytes,
    int ConsoleBufferBytes,
    TimeSpan FenceAfter,
    TimeSpan BootTimeout,
    HostLoadSource LoadSource = HostLoadSource.Machine,
    ImageDirectories? Images = null)
{
    /// <summary>How long a boot that finds a disk image locked elsewhere is tried again, and how often.</summary>
    public TimeSpan ImageLockWait { get; init; } = TimeSpan.FromSeconds(15);
    public TimeSpan ImageLockRetry { get; init; } = TimeSpan.FromMilliseconds(500);

    /// <summary>
    /// The node's TLS credentials (tern node --tls DIR), for the migration streams between hosts
    /// as for the cluster's own transport; null: a node without TLS (loopback-only clusters).
    /// </summary>
    public Security.TlsCredentials? Tls { get; init; }

    /// <summary>
    /// Starts each VM in a `tern vm` process of its own (tern.host.vm-processes = on; the node
    /// gives the launcher), driven through a <see cref="Vm.Process.VmProcessProxy"/>; null: VMs
    /// run inside the node.
    /// </summary>
    public Vm.Process.IVmProcessLauncher? VmProcesses { get; init; }

    /// <summary>How long a VM process keeps its guest once its node has gone (<see cref="OrphanVmWindow"/>).</summary>
    public TimeSpan NodeGoneAfter { get; init; } = TimeSpan.FromSeconds(2.5);

    /// <summary>Where VM processes keep their channel sockets, one directory per instance (the node's data directory's vms/).</summary>
    public string VmProcessDirectory { get; init; } = Path.Combine(Path.GetTempPath(), "tern-vms");

    /// <summary>Where this host's VMs may find their files; none unless tern.host.image-dirs lists some.</summary>
    public ImageDirectories Images { get; init; } = Images ?? new ImageDirectories([]);

    /// <summary>Fencing by lease (tern.cluster.fencing = lease): the host's lease and its timing; null: fencing by majority alone.</summary>
    public Leases.HostLeaseSettings? Lease { get; init; }

    /// <summary>How the host checks its own health (tern.host.health, issue 19).</summary>
    public Health.HostHealthSettings Health { get; init; } = Tern.Actors.Cluster.Host.Health.HostHealthSettings.Default;

    public static HostSettings From(Config config)
    {
        var c = config.GetConfig("tern.host") ?? throw new ConfigurationException("the configuration has no tern.host section");
        string guest = c.GetString("guest-memory");
        return new HostSettings(
            c.GetTimeSpan("report-interval"),
            guest == "auto" ? null : (ulong)(c.GetByteSize("guest-memory") ?? throw new ConfigurationException("tern.host.guest-memory must be 'auto' or a size")),
            (ulong)(c.GetByteSize("reserved-memory") ?? 0),
            (int)(c.GetByteSize("console-buffer") ?? 256 * 1024),
            c.GetTimeSpan("fence-after"),
            c.GetTimeSpan("boot-timeout"),
            ParseLoadSource(c.GetString("load-source", "machine")),
            new ImageDirectories(c.GetStringList("image-dirs") ?? []))
        {
            ImageLockWait = c.GetTimeSpan("image-lock-wait", TimeSpan.FromSeconds(15)),
            ImageLockRetry = c.GetTimeSpan("image-lock-retry", TimeSpan.FromMilliseconds(500)),
            NodeGoneAfter = OrphanVmWindow.NodeGoneAfter(config),
            Health = Tern.Actors.Cluster.Host.Health.HostHealthSettings.From(c),
        };
    }

    private static HostLoadSource ParseLoadSource(string value) => value switch
    {
        "machine" => HostLoadSource.Machine,
        "vms" => HostLoadSource.Vms,
        _ => throw new ConfigurationException($"tern.host.load-source must be 'machine' or 'vms', not '{value}'"),
    };

    /// <summary>The guest memory this host offers: the configured amount, or its RAM less the reserve.</summary>
    public ulong GuestCapacity(ulong memoryTotal) =>
        GuestMemoryBytes ?? (memoryTotal > ReservedMemoryBytes ? memoryTotal - ReservedMemoryBytes : 0);
}

/// <summary>What a host reports as its CPU load, the figure the overload policy acts on.</summary>
public enum HostLoadSource
{
    /// <summary>The whole machine's CPU use (/proc/stat): a node per machine, the normal case.</summary>
    Machine,

    /// <summary>The CPU time of this node's vCPU threads over all the machine's CPUs: for nodes that share a machine.</summary>
    Vms,
}

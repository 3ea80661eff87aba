namespace Tern.Devices.Config;

/// <summary>
/// The single description of a VM, whether it came from the command line, QMP/HTTP or the
/// cluster registry. Immutable; everything the Machine builds comes from here.
/// </summary>
public sealed partial record VmConfig
{
    public string? Name { get; init; }
    public string MachineType { get; init; } = "q35";
    public ulong MemoryBytes { get; init; } = DefaultMemoryBytes;
    public int Vcpus { get; init; } = 1;
    public CpuConfig Cpu { get; init; } = new();
    public required BootConfig Boot { get; init; }
    public SerialConfig Serial { get; init; } = new(SerialKind.None, null);
    public IReadOnlyList<DriveConfig> Drives { get; init; } = [];
    public IReadOnlyList<BlockDeviceConfig> BlockDevices { get; init; } = [];
    /// <summary><c>-netdev tap,...</c>: the host backends network devices attach to.</summary>
    public IReadOnlyList<NetdevConfig> Netdevs { get; init; } = [];
    public IReadOnlyList<NetDeviceConfig> NetDevices { get; init; } = [];
    public QmpEndpoint? Qmp { get; init; }
    /// <summary>The raw <c>-incoming</c> URI (reserved for live migration).</summary>
    public string? Incoming { get; init; }
    /// <summary><see cref="Incoming"/> parsed and validated; null when there is none, or when it is deferred.</summary>
    public MigrationEndpoint? IncomingEndpoint { get; init; }
    /// <summary><c>-incoming defer</c> (QEMU's): wait for QMP <c>migrate-incoming</c> to say where to listen.</summary>
    public bool IncomingDeferred { get; init; }
    /// <summary>The VM waits, paused, for an incoming migration (now or deferred) instead of booting its guest.</summary>
    public bool AwaitsMigration => IncomingEndpoint is not null || IncomingDeferred;
    /// <summary><c>-machine q35,dump-guest-core=..,mem-share=..</c>.</summary>
    public MachineOptions Machine { get; init; } = new();
    /// <summary><c>-mem-path</c> and <c>-mem-prealloc</c>: host-side only, so not part of the migration fingerprint.</summary>
    public MemoryBackingConfig MemoryBacking { get; init; } = new();
    /// <summary><c>-smp cpus=N,maxcpus=..,sockets=..</c>; null means one socket of <see cref="Vcpus"/> cores.</summary>
    public CpuTopology? Topology { get; init; }
    /// <summary><c>-S</c>: create the vCPUs stopped; QMP <c>cont</c> starts them.</summary>
    public bool StartPaused { get; init; }
    /// <summary>What the <c>tern</c> process itself does (pid file, log); not part of the VM or its fingerprint.</summary>
    public ProcessOptions Process { get; init; } = new();
    /// <summary><c>-object tls-creds-x509,...</c>: credentials migrations may use (by id); host-side only, not in the fingerprint.</summary>
    public IReadOnlyList<TlsCredsConfig> TlsCreds { get; init; } = [];
}

/// <summary>
/// QEMU's <c>-object tls-creds-x509,id=ID,dir=DIR,endpoint=server|client,verify-peer=on|off</c>:
/// a directory of PEM files (ca-cert.pem and the endpoint's certificate and key) under an id.
/// </summary>
public sealed record TlsCredsConfig(string Id, string Directory, TlsCredsEndpoint Endpoint, bool VerifyPeer = true);

/// <summary>The role credentials are for: a migration's destination is the server, its source the client.</summary>
public enum TlsCredsEndpoint { Server, Client }

/// <summary>StratoVirt's <c>-machine</c> properties besides the type.</summary>
public sealed record MachineOptions(bool DumpGuestCore = true, bool MemShare = false);

/// <summary><c>-mem-path PATH</c> (a directory or a file, e.g. on hugetlbfs) and <c>-mem-prealloc</c>.</summary>
public sealed record MemoryBackingConfig(string? Path = null, bool Prealloc = false);

/// <summary>
/// <c>-smp</c> topology as StratoVirt completes it: sockets * dies * clusters * cores * threads
/// equals <see cref="MaxCpus"/>, and <see cref="MaxCpus"/> is at least the number of vCPUs.
/// </summary>
public sealed record CpuTopology(int MaxCpus, int Sockets, int Dies, int Clusters, int Cores, int Threads)
{
    public static CpuTopology SingleSocket(int cpus) => new(cpus, 1, 1, 1, cpus, 1);
}

/// <summary><c>-pidfile</c>, <c>-D [file]</c>, <c>-disable-seccomp</c>.</summary>
public sealed record ProcessOptions
{
    /// <summary>Where to write the process id at start (the caller writes it; nothing exists yet).</summary>
    public string? PidFile { get; init; }
    /// <summary><c>-D</c> was given: log to <see cref="LogFile"/>, or to stderr when that is null.</summary>
    public bool LogEnabled { get; init; }
    public string? LogFile { get; init; }
    /// <summary>Accepted for StratoVirt compatibility; Tern installs no seccomp filter either way.</summary>
    public bool DisableSeccomp { get; init; }
}

public enum MigrationTransport { Tcp, Unix, File }

/// <summary>
/// A migration URI: <c>tcp:IP:PORT</c> (IPv4, or <c>[IPv6]</c>), <c>unix:PATH</c> or
/// <c>file:DIR</c>. <see cref="PathOrHost"/> holds the path, or the host without brackets.
/// </summary>
public sealed record MigrationEndpoint(MigrationTransport Transport, string PathOrHost, int Port = 0)
{
    public override string ToString() => Transport switch
    {
        MigrationTransport.Tcp when PathOrHost.Contains(':') => $"tcp:[{PathOrHost}]:{Port}",
        MigrationTransport.Tcp => $"tcp:{PathOrHost}:{Port}",
        MigrationTransport.Unix => $"unix:{PathOrHost}",
        _ => $"file:{PathOrHost}",
    };
}

/// <summary><c>-cpu host[,-feature...]</c>: the model and the CPUID features to hide.</summary>
public sealed record CpuConfig(string Model = "host")
{
    /// <summary>Canonical names (see Tern.Kvm.Arch.CpuidFeatureNames) of <c>-feature</c> items.</summary>
    public IReadOnlyList<string> HiddenFeatures { get; init; } = [];
    /// <summary>Canonical names of <c>+feature</c> items: asked for even if the host lacks them.</summary>
    public IReadOnlyList<string> EnabledFeatures { get; init; } = [];
}

public sealed record BootConfig(string KernelPath, string? InitrdPath, string Cmdline);

public enum SerialKind { None, Stdio, File }

public sealed record SerialConfig(SerialKind Kind, string? Path);

/// <summary><c>-drive file=PATH,id=ID,readonly=on|off,direct=on|off</c>.</summary>
public sealed record DriveConfig(string Id, string Path, bool ReadOnly, bool Direct)
{
    /// <summary><c>throttling.iops-total=N</c>: I/O operations per second; null means unlimited.</summary>
    public ulong? IopsTotal { get; init; }
    /// <summary><c>aio=</c>; null means StratoVirt's default (native when direct, otherwise off).</summary>
    public DriveAio? Aio { get; init; }
}

public enum DriveAio { Off, Native, IoUring }

/// <summary><c>-device virtio-blk-pci,drive=ID,id=ID,bus=pcie.0,addr=N[,serial=S]</c>.</summary>
public sealed record BlockDeviceConfig(string Id, string DriveId, string Bus, PciAddress Address, string? Serial)
{
    public bool Multifunction { get; init; }
    /// <summary><c>num-queues=</c> (1..32); null means StratoVirt's default, min(vCPUs, 32).</summary>
    public int? NumQueues { get; init; }
    /// <summary><c>queue-size=</c>, a power of two in 4..1024; null means the device default.</summary>
    public int? QueueSize { get; init; }
    /// <summary><c>bootindex=</c> (0..255), kept for firmware boot order.</summary>
    public int? BootIndex { get; init; }
}

/// <summary><c>-netdev tap,id=ID,ifname=NAME</c>: an existing TAP, or one Tern creates and removes on exit.</summary>
public sealed record NetdevConfig(string Id, string IfName);

/// <summary><c>-device virtio-net-pci,netdev=ID,id=ID,mac=MAC,bus=pcie.0,addr=N</c>; the MAC is generated when not given.</summary>
public sealed record NetDeviceConfig(string Id, string NetdevId, string Bus, PciAddress Address, MacAddress Mac)
{
    public bool Multifunction { get; init; }
}

/// <summary>A device's slot and function on pcie.0 (<c>addr=0x3</c> or <c>addr=0x3.0x1</c>).</summary>
public sealed record PciAddress(byte Slot, byte Function)
{
    public override string ToString() => Function == 0 ? $"0x{Slot:x}" : $"0x{Slot:x}.0x{Function:x}";
}

public enum QmpTransport { Unix, Tcp }

/// <summary><c>-qmp unix:PATH,server,nowait</c> or <c>-qmp tcp:HOST:PORT,server,nowait</c>.</summary>
public sealed record QmpEndpoint(QmpTransport Transport, string PathOrHost, int Port = 0);

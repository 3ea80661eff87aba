using Tern.Devices.Pci;
using Tern.Devices.Virtio.Block;

namespace Tern.Devices.Config;

/// <summary>
/// What a migration destination must match for the guest to notice nothing: the guest-visible part
/// of a <see cref="VmConfig"/> (memory, CPUs, machine type, every device with its slot and backing).
/// The source sends it first; the destination builds its own from its command line, compares with
/// <see cref="Differences"/> and refuses the migration when the list is not empty.
/// Process options, the QMP socket, the serial backend and boot files are deliberately left out:
/// they may differ between hosts without the guest seeing it.
/// </summary>
public sealed record MigrationFingerprint
{
    public required string MachineType { get; init; }
    public required ulong MemoryBytes { get; init; }
    public required int Vcpus { get; init; }
    /// <summary>Resolved <c>-smp</c> topology, e.g. <c>maxcpus=2,sockets=1,dies=1,clusters=1,cores=2,threads=1</c>.</summary>
    public required string Topology { get; init; }
    public required string CpuModel { get; init; }
    /// <summary>Canonical <c>-cpu</c> feature list: <c>+name</c> then <c>-name</c>, each sorted; empty for none.</summary>
    public required string CpuFeatures { get; init; }
    /// <summary>Sorted by bus, then address.</summary>
    public required IReadOnlyList<MigrationDeviceFingerprint> Devices { get; init; }

    public const string VirtioBlockKind = "virtio-blk-pci";
    public const string VirtioNetKind = "virtio-net-pci";

    /// <summary>
    /// The fingerprint of <paramref name="config"/>. Drive paths are made absolute against this
    /// process's working directory, so both ends compare the files they really open.
    /// </summary>
    public static MigrationFingerprint From(VmConfig config)
    {
        var drives = new Dictionary<string, DriveConfig>(StringComparer.Ordinal);
        foreach (var d in config.Drives) drives.TryAdd(d.Id, d);

        var devices = config.BlockDevices
            .Select(dev => BlockDevice(dev, drives.GetValueOrDefault(dev.DriveId), config.Vcpus))
            .Concat(config.NetDevices.Select(NetDevice))
            .OrderBy(d => d.Bus, StringComparer.Ordinal)
            .ThenBy(d => d.Addr, StringComparer.Ordinal)
            .ToArray();

        return new MigrationFingerprint
        {
            MachineType = config.MachineType,
            MemoryBytes = config.MemoryBytes,
            Vcpus = config.Vcpus,
            Topology = TopologyText(config.Topology ?? CpuTopology.SingleSocket(config.Vcpus)),
            CpuModel = config.Cpu.Model,
            CpuFeatures = FeatureText(config.Cpu),
            Devices = devices,
        };
    }

    private static MigrationDeviceFingerprint BlockDevice(BlockDeviceConfig dev, DriveConfig? drive, int vcpus) => new()
    {
        Kind = VirtioBlockKind,
        Bus = dev.Bus,
        Addr = dev.Address.ToString(),
        Id = dev.Id,
        Queues = dev.NumQueues ?? Math.Clamp(vcpus, 1, PciPlatform.DefaultMaxQueues),
        QueueSize = dev.QueueSize ?? VirtioBlock.DefaultQueueSize,
        Drive = drive is null
            ? null
            : new MigrationDriveFingerprint(drive.Id, Path.GetFullPath(drive.Path), drive.ReadOnly, dev.Serial),
    };

    /// <summary>The TAP's name is left out: each host attaches the NIC to its own.</summary>
    private static MigrationDeviceFingerprint NetDevice(NetDeviceConfig dev) => new()
    {
        Kind = VirtioNetKind,
        Bus = dev.Bus,
        Addr = dev.Address.ToString(),
        Id = dev.Id,
        Queues = 2,
        QueueSize = Virtio.Net.VirtioNet.DefaultQueueSize,
        Mac = dev.Mac.ToString(),
    };

    private static string TopologyText(CpuTopology t) =>
        $"maxcpus={t.MaxCpus},sockets={t.Sockets},dies={t.Dies},clusters={t.Clusters},cores={t.Cores},threads={t.Threads}";

    private static string FeatureText(CpuConfig cpu) => string.Join(',',
        cpu.EnabledFeatures.Order(StringComparer.Ordinal).Select(f => "+" + f)
            .Concat(cpu.HiddenFeatures.Order(StringComparer.Ordinal).Select(f => "-" + f)));

    /// <summary>
    /// Each way <paramref name="destination"/> differs from this (the source's) fingerprint, as one
    /// short phrase; empty when the VM can migrate.
    /// </summary>
    /// <param name="ownDiskCopies">
    /// The destination is a standby that keeps its own copy of each writable drive (x-colo-disk-copy):
    /// those drives' paths may differ.
    /// </param>
    public IReadOnlyList<string> Differences(MigrationFingerprint destination, bool ownDiskCopies = false) =>
        MigrationFingerprintDifferences.Between(this, destination, ownDiskCopies);

    public bool Equals(MigrationFingerprint? other) =>
        other is not null
        && MachineType == other.MachineType
        && MemoryBytes == other.MemoryBytes
        && Vcpus == other.Vcpus
        && Topology == other.Topology
        && CpuModel == other.CpuModel
        && CpuFeatures == other.CpuFeatures
        && Devices.SequenceEqual(other.Devices);

    public override int GetHashCode()
    {
        var hash = new HashCode();
        hash.Add(MachineType);
        hash.Add(MemoryBytes);
        hash.Add(Vcpus);
        hash.Add(Topology);
        hash.Add(CpuModel);
        hash.Add(CpuFeatures);
        foreach (var d in Devices) hash.Add(d);
        return hash.ToHashCode();
    }

    /// <summary>UTF-8 JSON for the stream's Config section.</summary>
    public byte[] ToJson() => MigrationFingerprintJson.Encode(this);

    /// <summary>
    /// Decodes a peer's fingerprint; the bytes are untrusted. Throws
    /// <see cref="MigrationFingerprintException"/> when they are over
    /// <see cref="MigrationFingerprintJson.MaxBytes"/>, malformed, or miss or add a field.
    /// </summary>
    public static MigrationFingerprint FromJson(ReadOnlySpan<byte> json) => MigrationFingerprintJson.Decode(json);
}

namespace Tern.Devices.Config;

/// <summary>
/// One device in a <see cref="MigrationFingerprint"/>, identified by its bus and address. The
/// identity fields are common to every kind; the rest are optional so that a new kind (virtio-net)
/// adds its own fields (<see cref="Mac"/>) without touching the others: a null field is left out
/// of the JSON, so fingerprints without it still read on older Terns.
/// </summary>
public sealed record MigrationDeviceFingerprint
{
    /// <summary>The <c>-device</c> driver name, e.g. <c>virtio-blk-pci</c>.</summary>
    public required string Kind { get; init; }
    public required string Bus { get; init; }
    /// <summary><c>slot</c> or <c>slot.function</c> as written by <see cref="PciAddress.ToString"/>.</summary>
    public required string Addr { get; init; }
    public required string Id { get; init; }
    /// <summary>Virtqueue count after defaults are applied (it shapes the device's saved state).</summary>
    public int? Queues { get; init; }
    /// <summary>Maximum virtqueue size after defaults are applied.</summary>
    public int? QueueSize { get; init; }
    /// <summary>The disk behind a block device; null for devices without one.</summary>
    public MigrationDriveFingerprint? Drive { get; init; }
    /// <summary>A network device's MAC address, <c>52:54:00:12:34:56</c> (virtio-net).</summary>
    public string? Mac { get; init; }
}

/// <summary>A block device's backing: the drive id, its absolute path, whether it is read-only, and the serial the guest reads.</summary>
public sealed record MigrationDriveFingerprint(string Id, string Path, bool ReadOnly, string? Serial = null);

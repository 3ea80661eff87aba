using Tern.Devices.Pci;
using Tern.Devices.Virtio.Queue;

namespace Tern.Devices.Virtio.Pci;

/// <summary>
/// The transport's saved state: PCI configuration bytes, MSI-X, the common configuration and,
/// when the device runs, each queue's ring positions. Untrusted on restore: every field is checked.
/// </summary>
public sealed record VirtioPciState(
    int Version,
    byte[] PciConfig,
    MsixState Msix,
    byte Status,
    bool NeedsReset,
    ulong DriverFeatures,
    uint DeviceFeatureSelect,
    uint DriverFeatureSelect,
    ushort QueueSelect,
    ushort MsixConfigVector,
    byte ConfigGeneration,
    byte Isr,
    IReadOnlyList<VirtioQueueRegistersState> Queues,
    IReadOnlyList<SplitQueueState?> Rings)
{
    public const int CurrentVersion = 1;
}

/// <summary>One queue's common-configuration registers.</summary>
public sealed record VirtioQueueRegistersState(ushort Size, bool Ready, ulong DescTable, ulong AvailRing, ulong UsedRing, ushort MsixVector);

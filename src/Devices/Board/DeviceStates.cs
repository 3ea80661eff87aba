using System.Text.Json;
using Tern.Devices.Pci;
using Tern.Devices.Virtio.Block;
using Tern.Devices.Virtio.Net;
using Tern.Devices.Virtio.Pci;

namespace Tern.Devices.Board;

/// <summary>
/// Saves and restores every device of a machine as <see cref="ComponentState"/>s: the legacy
/// platform devices as one component, and per PCI device its virtio transport (config space,
/// MSI-X, queues) and its virtio-blk or virtio-net identity. States are JSON (small, versioned records); every
/// value is checked again by the device's own Restore, because the bytes came over the network.
/// </summary>
internal static class DeviceStates
{
    private const string LegacyId = "legacy";
    private const string TransportPrefix = "virtio-pci/";
    private const string BlockPrefix = "virtio-blk/";
    private const string NetPrefix = "virtio-net/";
    private const int MaxStateBytes = 1 << 20;

    public static List<ComponentState> Save(LegacyDevices legacy, PciPlatform pci)
    {
        var states = new List<ComponentState> { Encode(LegacyId, 1, legacy.Save()) };
        foreach (var t in pci.VirtioDevices) states.Add(Encode(TransportPrefix + t.Name, VirtioPciState.CurrentVersion, t.Save()));
        for (int i = 0; i < pci.BlockDevices.Count; i++)
            states.Add(Encode(BlockPrefix + pci.VirtioDevices[i].Name, VirtioBlockState.CurrentVersion, pci.BlockDevices[i].Save()));
        foreach (var n in pci.NetDevices) states.Add(Encode(NetPrefix + n.Name, VirtioNetState.CurrentVersion, n.Device.Save()));
        return states;
    }

    /// <summary>Restores every device; throws <see cref="MachineException"/> naming the component that did not fit.</summary>
    public static void Restore(IReadOnlyList<ComponentState> states, LegacyDevices legacy, PciPlatform pci)
    {
        var byId = new Dictionary<string, ComponentState>(StringComparer.Ordinal);
        foreach (var s in states)
            if (!byId.TryAdd(s.Id, s)) throw new MachineException($"device state '{s.Id}' appears twice");

        for (int i = 0; i < pci.BlockDevices.Count; i++)
        {
            var name = pci.VirtioDevices[i].Name;
            var block = Decode<VirtioBlockState>(Take(byId, BlockPrefix + name, VirtioBlockState.CurrentVersion));
            Apply(BlockPrefix + name, () => pci.BlockDevices[i].CheckRestore(block));
        }
        foreach (var n in pci.NetDevices)
        {
            var net = Decode<VirtioNetState>(Take(byId, NetPrefix + n.Name, VirtioNetState.CurrentVersion));
            Apply(NetPrefix + n.Name, () => n.Device.CheckRestore(net));
        }
        foreach (var t in pci.VirtioDevices)
        {
            var state = Decode<VirtioPciState>(Take(byId, TransportPrefix + t.Name, VirtioPciState.CurrentVersion));
            Apply(TransportPrefix + t.Name, () => t.Restore(state));
        }
        pci.Root.RefreshBars();
        var legacyState = Decode<LegacyState>(Take(byId, LegacyId, 1));
        Apply(LegacyId, () => legacy.Restore(legacyState));
        if (byId.Count > 0) throw new MachineException($"device state '{byId.Keys.First()}' has no device here");
    }

    private static ComponentState Encode<T>(string id, int version, T state) =>
        new(id, (uint)version, JsonSerializer.SerializeToUtf8Bytes(state, typeof(T), DeviceStateJson.Default));

    private static ComponentState Take(Dictionary<string, ComponentState> byId, string id, int version)
    {
        if (!byId.Remove(id, out var s)) throw new MachineException($"device state '{id}' is missing from the stream");
        if (s.Version != version) throw new MachineException($"device state '{id}' has version {s.Version}, this Tern reads {version}");
        if (s.Data.Length > MaxStateBytes) throw new MachineException($"device state '{id}' is {s.Data.Length} bytes, over the limit");
        return s;
    }

    private static T Decode<T>(ComponentState s)
    {
        try
        {
            return (T?)JsonSerializer.Deserialize(s.Data, typeof(T), DeviceStateJson.Default) ?? throw new MachineException($"device state '{s.Id}' is empty");
        }
        catch (JsonException e)
        {
            throw new MachineException($"device state '{s.Id}' is not valid: {e.Message}", e);
        }
    }

    private static void Apply(string id, Action restore)
    {
        try
        {
            restore();
        }
        catch (Exception e) when (e is DeviceStateException or Tern.Devices.Virtio.Queue.VirtqueueException or ArgumentException)
        {
            throw new MachineException($"device state '{id}' refused: {e.Message}", e);
        }
    }
}

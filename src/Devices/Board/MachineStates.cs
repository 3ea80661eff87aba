using Tern.Kvm;
using Tern.Kvm.State;

namespace Tern.Devices.Board;

/// <summary>
/// The whole machine's state for a migration: every vCPU ("vcpu/N"), every device, and the
/// in-kernel irqchip, PIT and kvmclock ("kvm"). Restoring follows KVM's rules: vCPUs first (their
/// CPUID is already set), then devices, then the VM-wide KVM state last, just before the guest runs.
/// </summary>
internal static class MachineStates
{
    private const string VcpuPrefix = "vcpu/";
    private const string KvmId = "kvm";

    public static List<ComponentState> Save(Vm vm, IReadOnlyList<Vcpu> vcpus, LegacyDevices legacy, Pci.PciPlatform pci)
    {
        var states = new List<ComponentState>();
        foreach (var v in vcpus) states.Add(new(VcpuPrefix + v.Id, (uint)VcpuState.CurrentVersion, VcpuState.Save(v).ToBytes()));
        states.AddRange(DeviceStates.Save(legacy, pci));
        states.Add(new(KvmId, (uint)VmKvmState.CurrentVersion, VmKvmState.Save(vm).ToBytes()));
        return states;
    }

    public static void Restore(IReadOnlyList<ComponentState> states, Vm vm, IReadOnlyList<Vcpu> vcpus, LegacyDevices legacy, Pci.PciPlatform pci)
    {
        var byId = new Dictionary<string, ComponentState>(StringComparer.Ordinal);
        var devices = new List<ComponentState>();
        foreach (var s in states)
        {
            if (s.Id.StartsWith(VcpuPrefix, StringComparison.Ordinal) || s.Id == KvmId)
            {
                if (!byId.TryAdd(s.Id, s)) throw new MachineException($"state '{s.Id}' appears twice");
            }
            else devices.Add(s);
        }

        foreach (var v in vcpus)
        {
            var s = Take(byId, VcpuPrefix + v.Id, (uint)VcpuState.CurrentVersion);
            Apply(s.Id, () => VcpuState.Restore(v, VcpuState.FromBytes(s.Data)));
        }
        var kvm = Take(byId, KvmId, (uint)VmKvmState.CurrentVersion);
        if (byId.Count > 0) throw new MachineException($"state '{byId.Keys.First()}' has no counterpart here (vCPU count differs?)");
        DeviceStates.Restore(devices, legacy, pci);
        Apply(KvmId, () => VmKvmState.Restore(vm, VmKvmState.FromBytes(kvm.Data)));
    }

    private static ComponentState Take(Dictionary<string, ComponentState> byId, string id, uint version)
    {
        if (!byId.Remove(id, out var s)) throw new MachineException($"state '{id}' is missing from the stream");
        if (s.Version != version) throw new MachineException($"state '{id}' has version {s.Version}, this Tern reads {version}");
        return s;
    }

    private static void Apply(string id, Action restore)
    {
        try
        {
            restore();
        }
        catch (Exception e) when (e is KvmStateException or KvmException)
        {
            throw new MachineException($"state '{id}' refused: {e.Message}", e);
        }
    }
}

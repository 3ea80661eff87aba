using System.Security.Cryptography;
using System.Text;
using Tern.Actors.Cluster.Protocol;
using Tern.Actors.Cluster.Registry;
using Tern.Devices.Config;

namespace Tern.Actors.Cluster.Decisions;

/// <summary>
/// The MACs of cluster VMs' NICs. A NIC created without one gets a locally administered unicast
/// address in QEMU's 52:54:00 range, the first of a sequence of candidates drawn from a hash of
/// the VM's name, the NIC's index and the attempt that no VM in the registry (nor another NIC of
/// the same VM) has; the manager stores it in the definition, so it never changes wherever the
/// VM runs. With 2^24 addresses, a cluster of a thousand NICs finds a free one at the first
/// attempt but about once in 17 000 creates.
/// </summary>
public static class NicMacs
{
    /// <summary>More than any registry can fill: a free candidate turns up long before.</summary>
    private const int MaxAttempts = 1 << 16;

    /// <summary>Candidate <paramref name="attempt"/> for NIC <paramref name="nic"/> of VM <paramref name="vm"/>.</summary>
    public static MacAddress Candidate(string vm, int nic, int attempt)
    {
        byte[] hash = SHA256.HashData(Encoding.UTF8.GetBytes($"{vm}\n{nic}\n{attempt}"));
        return MacAddress.TryParse($"52:54:00:{hash[0]:x2}:{hash[1]:x2}:{hash[2]:x2}", out _)!.Value;
    }

    /// <summary>The first VM other than <paramref name="except"/> in the registry with a NIC of MAC <paramref name="mac"/>, or null.</summary>
    public static string? Holder(ClusterRegistry registry, MacAddress mac, string except) =>
        registry.Vms.Values.FirstOrDefault(v => v.Name != except && MacsOf(v.Definition).Contains(mac))?.Name;

    /// <summary>
    /// <paramref name="vm"/> (whose problems were checked: every MAC given parses) with each MAC
    /// written the one way, and one chosen for each NIC without.
    /// </summary>
    public static VmDefinition Assign(VmDefinition vm, ClusterRegistry registry)
    {
        if (vm.Nics is not { Count: > 0 } nics) return vm;
        var taken = registry.Vms.Values.Where(v => v.Name != vm.Name).SelectMany(v => MacsOf(v.Definition)).ToHashSet();
        taken.UnionWith(MacsOf(vm));
        var assigned = new List<VmNic>(nics.Count);
        for (int i = 0; i < nics.Count; i++)
        {
            if (nics[i].Mac is { } given)
            {
                assigned.Add(nics[i] with { Mac = MacAddress.TryParse(given, out _)!.Value.ToString() });
                continue;
            }
            var mac = Enumerable.Range(0, MaxAttempts).Select(a => Candidate(vm.Name, i, a)).First(taken.Add);
            assigned.Add(nics[i] with { Mac = mac.ToString() });
        }
        return vm with { Nics = assigned };
    }

    private static IEnumerable<MacAddress> MacsOf(VmDefinition vm) =>
        (vm.Nics ?? []).Select(n => n.Mac is { } text ? MacAddress.TryParse(text, out _) : null).OfType<MacAddress>();
}

using Tern.Actors.Cluster.Decisions;
using Tern.Actors.Cluster.Protocol;
using Tern.Devices.Config;

namespace Tern.Actors.Cluster;

/// <summary>
/// What a <see cref="VmDefinition"/> means to the VMM: the <see cref="VmConfig"/> a host builds
/// from it, and its checks (the cluster's own rules, then VmConfig's limits on that config). Kept
/// beside the actors, not in the protocol, so that the protocol package needs no Tern.Devices.
/// </summary>
public static class VmDefinitionMachine
{
    public const int MaxDisks = 8;
    /// <summary>NICs a cluster VM may have: each is a TAP on its host and a PCI slot after the disks'.</summary>
    public const int MaxNics = 4;
    /// <summary>IFNAMSIZ - 1: the longest Linux interface name.</summary>
    public const int MaxInterfaceName = 15;
    /// <summary>PATH_MAX: with the other limits, a definition stays a few tens of KiB, far below the cluster transport's frame.</summary>
    public const int MaxPathLength = 4096;
    /// <summary>The first disk's PCI slot on pcie.0; the next disks take the following slots.</summary>
    private const byte FirstDiskSlot = 2;

    /// <summary>The machine this definition describes, with its serial output going wherever the host puts it.</summary>
    /// <param name="taps">The TAP on this host of each of its NICs, in order (the host names and creates them); needed when it has NICs.</param>
    public static VmConfig ToVmConfig(this VmDefinition vm, IReadOnlyList<string>? taps = null)
    {
        var nics = vm.Nics ?? [];
        if (nics.Count > 0 && (taps is null || taps.Count != nics.Count))
            throw new ArgumentException($"vm {vm.Name} has {nics.Count} NICs and {taps?.Count ?? 0} TAPs for them", nameof(taps));
        int firstNicSlot = FirstDiskSlot + vm.Disks.Count;
        return new VmConfig
        {
            Name = vm.Name,
            MemoryBytes = vm.MemoryBytes,
            Vcpus = vm.Vcpus,
            Boot = new BootConfig(vm.Kernel, vm.Initrd, vm.Append),
            Drives = vm.Disks.Select((disk, i) => new DriveConfig(DiskId(i), disk.Path, ReadOnly: !disk.Writable, Direct: false)).ToArray(),
            BlockDevices = vm.Disks.Select((_, i) =>
                new BlockDeviceConfig(DiskId(i), DiskId(i), "pcie.0", new PciAddress((byte)(FirstDiskSlot + i), 0), Serial: null)).ToArray(),
            Netdevs = nics.Select((_, i) => new NetdevConfig(NetdevId(i), taps![i])).ToArray(),
            NetDevices = nics.Select((nic, i) =>
                new NetDeviceConfig(NicId(i), NetdevId(i), "pcie.0", new PciAddress((byte)(firstNicSlot + i), 0), MacOf(vm.Name, i, nic))).ToArray(),
            // Guest RAM in a memfd, so that moving the VM into a new process on the same host (an
            // upgrade) hands the RAM over instead of copying it; between hosts it is copied as ever.
            Machine = new MachineOptions(MemShare: true),
        };
    }

    private static string DiskId(int index) => $"disk{index}";

    private static string NetdevId(int index) => $"net{index}";

    private static string NicId(int index) => $"nic{index}";

    /// <summary>
    /// The NIC's MAC. The manager gives every NIC one before it stores a definition; one that
    /// somehow has none gets the first the manager would have chosen, the same on every host.
    /// </summary>
    private static MacAddress MacOf(string vm, int index, VmNic nic) =>
        nic.Mac is { } text && MacAddress.TryParse(text, out _) is { } mac ? mac : NicMacs.Candidate(vm, index, 0);

    /// <summary>Each thing wrong with the definition, one short phrase each; empty when it is valid.</summary>
    public static IReadOnlyList<string> Problems(this VmDefinition vm)
    {
        var found = new List<string>();
        if (!VmDefinition.IsValidName(vm.Name))
            found.Add($"name '{EchoedText.Clip(vm.Name)}' must be 1-63 letters, digits, '-', '_' or '.', starting with a letter or digit");
        CheckPath(found, "kernel", vm.Kernel);
        if (vm.Initrd is not null) CheckPath(found, "initrd", vm.Initrd);
        if (vm.Append is null) found.Add("append must be given (it may be empty)");
        var disks = vm.Disks ?? [];
        // The limits every front end shares (vCPUs, memory, append) are VmConfig's. A definition read
        // off the wire may carry nulls, reported here; the config is built around them.
        var config = (vm with { Append = vm.Append ?? "", Disks = [.. disks.OfType<VmDisk>()], Nics = null }).ToVmConfig();
        found.AddRange(config.Problems().Select(VmConfigProblemText.Describe));
        if (disks.Count > MaxDisks) found.Add($"{disks.Count} disks is more than {MaxDisks}");
        foreach (var d in disks) CheckPath(found, "disk", d?.Path);
        if (vm.AntiAffinityGroup is not null && !VmDefinition.IsValidName(vm.AntiAffinityGroup))
            found.Add($"anti-affinity group '{EchoedText.Clip(vm.AntiAffinityGroup)}' must be 1-63 letters, digits, '-', '_' or '.'");
        CheckNics(found, vm.Nics ?? []);
        return found;
    }

    /// <summary>At most <see cref="MaxNics"/>, each on a bridge of a valid name, each MAC (when given) a unicast address no other NIC of it has.</summary>
    private static void CheckNics(List<string> found, IReadOnlyList<VmNic?> nics)
    {
        if (nics.Count > MaxNics) found.Add($"{nics.Count} NICs is more than {MaxNics}");
        var macs = new HashSet<MacAddress>();
        for (int i = 0; i < nics.Count; i++)
        {
            if (nics[i] is not { } nic)
            {
                found.Add($"nic {i} must be given");
                continue;
            }
            if (!IsInterfaceName(nic.Bridge))
                found.Add($"nic {i} bridge '{EchoedText.Clip(nic.Bridge ?? "")}' is not an interface name (1-{MaxInterfaceName} characters, no '/', ':' or spaces)");
            if (nic.Mac is null) continue;
            if (MacAddress.TryParse(nic.Mac, out string? why) is not { } mac)
                found.Add($"nic {i} mac '{EchoedText.Clip(nic.Mac)}' is not a unicast MAC: {why}");
            else if (!macs.Add(mac))
                found.Add($"nic {i} mac {mac} is another NIC's of this VM too");
        }
    }

    /// <summary>A name the kernel takes for a network interface (dev_valid_name).</summary>
    public static bool IsInterfaceName(string? name) =>
        name is { Length: > 0 and <= MaxInterfaceName } && name is not ("." or "..")
        && !name.Any(c => c is '/' or ':' || char.IsWhiteSpace(c) || char.IsControl(c));

    private static void CheckPath(List<string> found, string what, string? path)
    {
        if (string.IsNullOrEmpty(path)) found.Add($"{what} path must be given");
        else if (path.Length > MaxPathLength) found.Add($"{what} path is longer than {MaxPathLength} characters");
        else if (!Path.IsPathFullyQualified(path)) found.Add($"{what} path '{EchoedText.Clip(path)}' must be absolute (every host opens it)");
    }
}

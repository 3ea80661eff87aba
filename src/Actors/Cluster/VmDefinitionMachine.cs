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
    /// <summary>PATH_MAX: with the other limits, a definition stays a few tens of KiB, far below the cluster transport's frame.</summary>
    public const int MaxPathLength = 4096;
    /// <summary>The first disk's PCI slot on pcie.0; the next disks take the following slots.</summary>
    private const byte FirstDiskSlot = 2;

    /// <summary>The machine this definition describes, with its serial output going wherever the host puts it.</summary>
    public static VmConfig ToVmConfig(this VmDefinition vm) => new()
    {
        Name = vm.Name,
        MemoryBytes = vm.MemoryBytes,
        Vcpus = vm.Vcpus,
        Boot = new BootConfig(vm.Kernel, vm.Initrd, vm.Append),
        Drives = vm.Disks.Select((disk, i) => new DriveConfig(DiskId(i), disk.Path, ReadOnly: !disk.Writable, Direct: false)).ToArray(),
        BlockDevices = vm.Disks.Select((_, i) =>
            new BlockDeviceConfig(DiskId(i), DiskId(i), "pcie.0", new PciAddress((byte)(FirstDiskSlot + i), 0), Serial: null)).ToArray(),
        // Guest RAM in a memfd, so that moving the VM into a new process on the same host (an
        // upgrade) hands the RAM over instead of copying it; between hosts it is copied as ever.
        Machine = new MachineOptions(MemShare: true),
    };

    private static string DiskId(int index) => $"disk{index}";

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
        var config = (vm with { Append = vm.Append ?? "", Disks = [.. disks.OfType<VmDisk>()] }).ToVmConfig();
        found.AddRange(config.Problems().Select(VmConfigProblemText.Describe));
        if (disks.Count > MaxDisks) found.Add($"{disks.Count} disks is more than {MaxDisks}");
        foreach (var d in disks) CheckPath(found, "disk", d?.Path);
        if (vm.AntiAffinityGroup is not null && !VmDefinition.IsValidName(vm.AntiAffinityGroup))
            found.Add($"anti-affinity group '{EchoedText.Clip(vm.AntiAffinityGroup)}' must be 1-63 letters, digits, '-', '_' or '.'");
        return found;
    }

    private static void CheckPath(List<string> found, string what, string? path)
    {
        if (string.IsNullOrEmpty(path)) found.Add($"{what} path must be given");
        else if (path.Length > MaxPathLength) found.Add($"{what} path is longer than {MaxPathLength} characters");
        else if (!Path.IsPathFullyQualified(path)) found.Add($"{what} path '{EchoedText.Clip(path)}' must be absolute (every host opens it)");
    }
}

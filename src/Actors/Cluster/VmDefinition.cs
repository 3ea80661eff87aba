using System.Text.RegularExpressions;
using Tern.Devices.Config;

namespace Tern.Actors.Cluster;

/// <summary>
/// A VM as the cluster registry keeps it: what <c>tern ctl create</c> gives, and no more. It maps
/// onto a <see cref="VmConfig"/> on whichever host runs it; files (kernel, initrd, disks) are
/// absolute paths that every host sees the same (shared storage).
/// </summary>
public sealed partial record VmDefinition(
    string Name,
    string Kernel,
    string? Initrd,
    string Append,
    ulong MemoryBytes,
    int Vcpus,
    IReadOnlyList<VmDisk> Disks,
    string? AntiAffinityGroup = null)
{
    public const int MaxDisks = 8;
    /// <summary>PATH_MAX: with the other limits, a definition stays a few tens of KiB, far below the cluster transport's frame.</summary>
    public const int MaxPathLength = 4096;
    /// <summary>The first disk's PCI slot on pcie.0; the next disks take the following slots.</summary>
    private const byte FirstDiskSlot = 2;

    /// <summary>The machine this definition describes, with its serial output going wherever the host puts it.</summary>
    public VmConfig ToVmConfig() => new()
    {
        Name = Name,
        MemoryBytes = MemoryBytes,
        Vcpus = Vcpus,
        Boot = new BootConfig(Kernel, Initrd, Append),
        Drives = Disks.Select((disk, i) => new DriveConfig(DiskId(i), disk.Path, ReadOnly: !disk.Writable, Direct: false)).ToArray(),
        BlockDevices = Disks.Select((_, i) =>
            new BlockDeviceConfig(DiskId(i), DiskId(i), "pcie.0", new PciAddress((byte)(FirstDiskSlot + i), 0), Serial: null)).ToArray(),
    };

    private static string DiskId(int index) => $"disk{index}";

    /// <summary>Each thing wrong with the definition, one short phrase each; empty when it is valid.</summary>
    public IReadOnlyList<string> Problems()
    {
        var found = new List<string>();
        if (!IsValidName(Name))
            found.Add($"name '{EchoedText.Clip(Name)}' must be 1-63 letters, digits, '-', '_' or '.', starting with a letter or digit");
        CheckPath(found, "kernel", Kernel);
        if (Initrd is not null) CheckPath(found, "initrd", Initrd);
        if (Append is null) found.Add("append must be given (it may be empty)");
        var disks = Disks ?? [];
        // The limits every front end shares (vCPUs, memory, append) are VmConfig's. A definition read
        // off the wire may carry nulls, reported here; the config is built around them.
        var config = (this with { Append = Append ?? "", Disks = [.. disks.OfType<VmDisk>()] }).ToVmConfig();
        found.AddRange(config.Problems().Select(VmConfigProblemText.Describe));
        if (disks.Count > MaxDisks) found.Add($"{disks.Count} disks is more than {MaxDisks}");
        foreach (var d in disks) CheckPath(found, "disk", d?.Path);
        if (AntiAffinityGroup is not null && !IsValidName(AntiAffinityGroup))
            found.Add($"anti-affinity group '{EchoedText.Clip(AntiAffinityGroup)}' must be 1-63 letters, digits, '-', '_' or '.'");
        return found;
    }

    private static void CheckPath(List<string> found, string what, string? path)
    {
        if (string.IsNullOrEmpty(path)) found.Add($"{what} path must be given");
        else if (path.Length > MaxPathLength) found.Add($"{what} path is longer than {MaxPathLength} characters");
        else if (!Path.IsPathFullyQualified(path)) found.Add($"{what} path '{EchoedText.Clip(path)}' must be absolute (every host opens it)");
    }

    /// <summary>The rule for VM, host and group names: they appear in actor paths, URLs and file names.</summary>
    public static bool IsValidName(string? name) => name is not null && NamePattern().IsMatch(name);

    [GeneratedRegex("^[A-Za-z0-9][A-Za-z0-9_.-]{0,62}$")]
    private static partial Regex NamePattern();
}

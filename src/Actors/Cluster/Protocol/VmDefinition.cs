using System.Text.RegularExpressions;

namespace Tern.Actors.Cluster.Protocol;

/// <summary>
/// A VM as the cluster registry keeps it: what <c>tern ctl create</c> gives, and no more. Each
/// host turns it into the machine it runs; files (kernel, initrd, disks) are absolute paths that
/// every host sees the same (shared storage). The manager checks a definition before it stores
/// it and answers a bad one with Failed(Invalid) listing each problem.
/// </summary>
/// <param name="Nics">
/// Its network cards, in PCI order after the disks; null (a definition an older Tern stored)
/// means none.
/// </param>
public sealed partial record VmDefinition(
    string Name,
    string Kernel,
    string? Initrd,
    string Append,
    ulong MemoryBytes,
    int Vcpus,
    IReadOnlyList<VmDisk> Disks,
    string? AntiAffinityGroup = null,
    IReadOnlyList<VmNic>? Nics = null)
{
    /// <summary>The rule for VM, host and group names: they appear in actor paths, URLs and file names.</summary>
    public static bool IsValidName(string? name) => name is not null && NamePattern().IsMatch(name);

    [GeneratedRegex("^[A-Za-z0-9][A-Za-z0-9_.-]{0,62}$")]
    private static partial Regex NamePattern();
}

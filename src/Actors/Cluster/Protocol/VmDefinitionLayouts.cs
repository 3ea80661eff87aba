using Hyperion;

namespace Tern.Actors.Cluster.Protocol;

/// <summary>
/// How <see cref="VmDefinition"/> travels and is stored. Hyperion writes an object's fields in
/// name order and reads them back by position, whatever the version-tolerance setting says, so a
/// field added to a type makes every earlier copy of it unreadable; VmDefinitions stored in a
/// journal must survive that. So a definition is written as <see cref="WithNics"/> (protocol 2.3
/// on), and what earlier Terns wrote under the name VmDefinition itself is read as
/// <see cref="BeforeNics"/> (<see cref="ClusterTypeRenames"/> renames it). The next field added
/// to VmDefinition gets a layout of its own here the same way.
/// </summary>
public static class VmDefinitionLayouts
{
    /// <summary>A definition as protocol 2.3 and later write it.</summary>
    public sealed record WithNics(string Name, string Kernel, string? Initrd, string Append, ulong MemoryBytes, int Vcpus,
        IReadOnlyList<VmDisk> Disks, string? AntiAffinityGroup, IReadOnlyList<VmNic>? Nics);

    /// <summary>A definition as protocol 2.2 and earlier wrote it: no NICs.</summary>
    public sealed record BeforeNics(string Name, string Kernel, string? Initrd, string Append, ulong MemoryBytes, int Vcpus,
        IReadOnlyList<VmDisk> Disks, string? AntiAffinityGroup);

    /// <summary>For the serializer: the first is how a definition is written; each reads its layout back as a definition.</summary>
    internal static readonly Surrogate[] Surrogates =
    [
        Surrogate.Create<VmDefinition, WithNics>(
            d => new WithNics(d.Name, d.Kernel, d.Initrd, d.Append, d.MemoryBytes, d.Vcpus, d.Disks, d.AntiAffinityGroup, d.Nics),
            w => new VmDefinition(w.Name, w.Kernel, w.Initrd, w.Append, w.MemoryBytes, w.Vcpus, w.Disks, w.AntiAffinityGroup, w.Nics)),
        Surrogate.Create<VmDefinition, BeforeNics>(
            _ => throw new NotSupportedException("a definition is written with its NICs"),
            b => new VmDefinition(b.Name, b.Kernel, b.Initrd, b.Append, b.MemoryBytes, b.Vcpus, b.Disks, b.AntiAffinityGroup)),
    ];
}

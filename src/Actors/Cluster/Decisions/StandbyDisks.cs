using Tern.Actors.Cluster.Protocol;

namespace Tern.Actors.Cluster.Decisions;

/// <summary>
/// Where a protected VM's standby keeps its own copy of each writable disk (issue 18: disks are
/// replicated, not shared): <c>VM.standbyN.I.img</c> for standby incarnation N and disk index I, in
/// <c>tern.cluster.manager.protection.disk-copies</c> when set, else beside the disk it copies.
/// Either way every host must see the copy where it is made and allow it as an image file
/// (tern.host.image-dirs). Read-only disks stay shared: nothing writes them. A promoted standby's
/// copies become the VM's disks, so the next standby copies those.
/// </summary>
public static class StandbyDisks
{
    /// <summary>The copies standby incarnation <paramref name="standbyIncarnation"/> of <paramref name="vm"/> keeps, one per writable disk.</summary>
    public static IReadOnlyList<DiskCopyOrder> For(VmDefinition vm, long standbyIncarnation, string? directory) =>
        [.. vm.Disks.Select((disk, index) => (disk, index)).Where(d => d.disk.Writable)
            .Select(d => new DiskCopyOrder(d.disk.Path,
                Path.Combine(string.IsNullOrEmpty(directory) ? Path.GetDirectoryName(d.disk.Path)! : directory, $"{vm.Name}.standby{standbyIncarnation}.{d.index}.img")))];

    /// <summary>The definition the standby runs, and the VM's once the standby is promoted: each copied disk replaced by its copy.</summary>
    public static VmDefinition Apply(VmDefinition vm, IReadOnlyList<DiskCopyOrder> copies) =>
        copies.Count == 0 ? vm : vm with
        {
            Disks = [.. vm.Disks.Select(d => copies.FirstOrDefault(c => c.From == d.Path && d.Writable) is { } copy ? d with { Path = copy.To } : d)],
        };
}

using Tern.Kvm;

namespace Tern.Actors.Cluster.Host.Health;

/// <summary>An I/O error counter of a disk that holds VM disk images: its kernel name (sda) and its file (which may not exist: virtio and NVMe keep none).</summary>
internal readonly record struct IoErrorCounter(string Disk, string Path);

/// <summary>
/// Finds the I/O error counters of the disk a file lies on: the file's device (st_dev) leads to
/// <c>SYSFS/dev/block/MAJ:MIN</c>; a partition's errors are counted by its disk (the parent
/// directory), and SCSI disks count them in <c>device/ioerr_cnt</c>. A device-mapper or md device
/// (LVM, dm-crypt, RAID) has no counter of its own: its errors are those of the devices beneath
/// it (<c>slaves/</c>). A file system with no block device (tmpfs, overlay, btrfs's anonymous
/// devices) or a disk without the counter (virtio, NVMe) gives none.
/// </summary>
internal static class BlockDeviceCounters
{
    // dm on md on a partition is as deep as real stacks go; the bound only guards against a loop.
    private const int MaxDepth = 4;

    public static IReadOnlyList<IoErrorCounter> Of(string sysfsRoot, string file, OnceWarnings warnings)
    {
        HostFileStatus status;
        try
        {
            status = HostPath.Stat(file);
        }
        catch (HostPathException e)
        {
            warnings.Warn(file, "stat", $"host health: cannot find the disk of {file} ({e.Message}); its I/O errors are not watched");
            return [];
        }
        // Cluster VM disks are regular files (ImageDirectories); anything else is not ours to judge.
        if (status.Kind != HostFileKind.Regular) return [];
        // HostPath.Stat packs statx's device as major << 32 | minor.
        string device = $"{status.Device >> 32}:{(uint)status.Device}";
        var found = new List<IoErrorCounter>();
        Collect(HostPath.Resolve(Path.Combine(sysfsRoot, "dev/block", device)), 0, found);
        return found;
    }

    // Every path here is resolved first: .NET makes paths absolute by collapsing ".." as text,
    // which in sysfs, all symbolic links, would lead elsewhere than the kernel's own "..".
    private static void Collect(string? blockDir, int depth, List<IoErrorCounter> found)
    {
        if (blockDir is null || depth > MaxDepth) return;
        if (File.Exists(Path.Combine(blockDir, "partition"))) blockDir = Path.GetDirectoryName(blockDir)!;
        // A disk with hardware beneath it counts there, if its driver counts at all; reading a
        // counter that is not there is left to CounterFile, which notices one that disappeared.
        if (HostPath.Resolve(Path.Combine(blockDir, "device")) is { } hardware)
        {
            found.Add(new IoErrorCounter(Path.GetFileName(blockDir), Path.Combine(hardware, "ioerr_cnt")));
            return;
        }
        string slaves = Path.Combine(blockDir, "slaves");
        string[] beneath;
        try
        {
            beneath = Directory.Exists(slaves) ? Directory.GetFileSystemEntries(slaves) : [];
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            return; // the device went while we looked
        }
        foreach (string slave in beneath) Collect(HostPath.Resolve(slave), depth + 1, found);
    }
}

namespace Tern.Host.VmProcess.Sandbox;

public enum CgroupVersion
{
    /// <summary>One hierarchy per controller (or group of controllers), each its own mount.</summary>
    V1,

    /// <summary>The unified hierarchy: one mount, controllers enabled per subtree.</summary>
    V2,
}

/// <summary>
/// One cgroup hierarchy VM processes are placed in: where it is mounted, the node's own cgroup in it
/// (a path below <see cref="MountPoint"/>, "/" for its root) and which of memory, cpu and cpuacct it holds.
/// </summary>
public sealed record CgroupHierarchy(string MountPoint, string NodeCgroup, IReadOnlyList<string> Controllers)
{
    /// <summary>The directory of cgroup <paramref name="path"/> ("/a/b") in this hierarchy.</summary>
    public string Directory(string path) => path == "/" ? MountPoint : MountPoint.TrimEnd('/') + path;
}

/// <summary>
/// The cgroups this host offers VM processes, as the node's /proc/self/mountinfo and
/// /proc/self/cgroup describe them: v2 when the unified hierarchy holds the memory controller,
/// else v1 when a memory hierarchy is mounted (with cpu and cpuacct where mounted), else none.
/// </summary>
public sealed record CgroupHost(CgroupVersion Version, IReadOnlyList<CgroupHierarchy> Hierarchies)
{
    private static readonly string[] Wanted = ["memory", "cpu", "cpuacct"];

    /// <summary>This node's view; null on a host without a usable memory controller.</summary>
    public static CgroupHost? Detect() =>
        Parse(File.ReadAllText("/proc/self/mountinfo"), File.ReadAllText("/proc/self/cgroup"),
            path => File.Exists(path) ? File.ReadAllText(path) : null);

    /// <param name="read">Reads a file of a cgroup mount (its root's cgroup.controllers), null when absent.</param>
    public static CgroupHost? Parse(string mountinfo, string selfCgroup, Func<string, string?> read)
    {
        var mounts = Mounts(mountinfo).ToList();
        var membership = selfCgroup.Split('\n', StringSplitOptions.RemoveEmptyEntries)
            .Select(l => l.Split(':', 3)).Where(p => p.Length == 3).ToList();

        if (mounts.FirstOrDefault(m => m.Type == "cgroup2") is { } unified
            && read(Path.Combine(unified.MountPoint, "cgroup.controllers")) is { } available
            && available.Split(' ', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries).Contains("memory")
            && membership.FirstOrDefault(p => p[0] == "0" && p[1] == "") is { } unifiedLine
            && Below(unified.Root, unifiedLine[2]) is { } unifiedPath)
            return new CgroupHost(CgroupVersion.V2, [new CgroupHierarchy(unified.MountPoint, unifiedPath, ["memory", "cpu"])]);

        var hierarchies = new List<CgroupHierarchy>();
        foreach (var m in mounts.Where(m => m.Type == "cgroup"))
        {
            var controllers = m.Options.Split(',').Where(Wanted.Contains).ToList();
            if (controllers.Count == 0 || hierarchies.Any(h => h.Controllers.Intersect(controllers).Any())) continue;
            var own = membership.FirstOrDefault(p => p[1].Split(',').Intersect(controllers).Any());
            if (own is not null && Below(m.Root, own[2]) is { } path) hierarchies.Add(new CgroupHierarchy(m.MountPoint, path, controllers));
        }
        return hierarchies.Any(h => h.Controllers.Contains("memory")) ? new CgroupHost(CgroupVersion.V1, hierarchies) : null;
    }

    /// <summary><paramref name="path"/> seen from a mount of cgroup <paramref name="root"/>; null when the mount does not reach it.</summary>
    private static string? Below(string root, string path) =>
        root == "/" ? path
        : path == root ? "/"
        : path.StartsWith(root + "/", StringComparison.Ordinal) ? path[root.Length..]
        : null;

    private sealed record Mount(string Root, string MountPoint, string Type, string Options);

    /// <summary>mountinfo lines: ID PARENT MAJ:MIN ROOT MOUNT-POINT OPTIONS [TAGS...] - TYPE SOURCE SUPER-OPTIONS.</summary>
    private static IEnumerable<Mount> Mounts(string mountinfo)
    {
        foreach (string line in mountinfo.Split('\n', StringSplitOptions.RemoveEmptyEntries))
        {
            int dash = line.IndexOf(" - ", StringComparison.Ordinal);
            if (dash < 0) continue;
            var left = line[..dash].Split(' ');
            var right = line[(dash + 3)..].Split(' ');
            if (left.Length < 5 || right.Length < 3) continue;
            yield return new Mount(Unescape(left[3]), Unescape(left[4]), right[0], right[2]);
        }
    }

    /// <summary>mountinfo writes a space, tab, newline or backslash in a path as \ and three octal digits.</summary>
    private static string Unescape(string field) =>
        System.Text.RegularExpressions.Regex.Replace(field, @"\\([0-7]{3})", m => ((char)Convert.ToInt32(m.Groups[1].Value, 8)).ToString());
}

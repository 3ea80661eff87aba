using System.Globalization;

namespace Tern.Host.VmProcess.Sandbox;

/// <summary>
/// A node's VM process cgroups: <c>PARENT/NODE/vm-NAME.ATTEMPT</c> in each hierarchy the host
/// offers, PARENT being <c>tern</c> under the node's own cgroup (tern.host.vm-cgroup-parent =
/// auto; the VMs' memory then counts against whatever limits the node's service has) or a path
/// from the hierarchy's root. On v2 the memory and cpu controllers are enabled down to NODE; a
/// cgroup that holds processes cannot hand controllers on, so under auto a node not at the root
/// first moves itself into the leaf <c>NODE/node</c> (as a systemd unit with Delegate=yes must).
/// </summary>
public sealed class VmCgroups
{
    /// <summary>The parent that means "tern/ under the node's own cgroup".</summary>
    public const string AutoParent = "auto";

    /// <summary>A cgroup whose process has just been reaped may be refused for a moment: this many tries, 20 ms apart.</summary>
    private const int RemoveAttempts = 10;

    private readonly CgroupHost _host;
    private readonly IReadOnlyList<(CgroupHierarchy Hierarchy, string NodePath)> _parents;
    private readonly HashSet<string> _ours = [];
    /// <summary>VM cgroups found when this node started: an earlier run's, to remove once their processes end.</summary>
    private readonly HashSet<string> _inherited = [];
    private readonly Lock _gate = new();

    private VmCgroups(CgroupHost host, string node, string parent)
    {
        _host = host;
        _parents = host.Hierarchies
            .Select(h => (h, Join(parent == AutoParent ? Join(h.NodeCgroup, "tern") : parent, node)))
            .ToList();
    }

    /// <summary>The directories that hold this node's VM cgroups, one per hierarchy.</summary>
    public IEnumerable<string> NodeDirectories => _parents.Select(p => p.Hierarchy.Directory(p.NodePath));

    /// <summary>
    /// The cgroups of node <paramref name="node"/>, their parent made ready and what an earlier run
    /// left behind removed; null, said once through <paramref name="say"/>, when the host has none
    /// or the node may not make them (a node that is not root and was delegated nothing).
    /// </summary>
    public static VmCgroups? Open(CgroupHost? host, string node, string parent, Action<string> say)
    {
        if (host is null)
        {
            say("this host has no cgroup memory controller (v1 or v2): VM processes run without cgroups");
            return null;
        }
        var cgroups = new VmCgroups(host, node, parent);
        try
        {
            cgroups.Prepare(say);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            say($"cannot make cgroups under {string.Join(", ", cgroups.NodeDirectories)}: {e.Message}; VM processes run without cgroups");
            return null;
        }
        lock (cgroups._gate)
        {
            cgroups.FindInherited();
            cgroups.RemoveStale();
        }
        return cgroups;
    }

    /// <summary>
    /// The name of VM <paramref name="vm"/>'s cgroup for the process of <paramref name="attempt"/>
    /// (its directory under vms/: "INCARNATION", or "INCARNATION-N" for a boot tried again). The
    /// dot keeps names apart, since a VM name may hold '-' but an attempt never holds '.'.
    /// </summary>
    public static string Leaf(string vm, string attempt) => $"vm-{vm}.{attempt}";

    /// <summary>
    /// Makes the cgroup of VM <paramref name="vm"/>'s process for <paramref name="attempt"/> and sets
    /// <paramref name="limits"/> in it; an <see cref="IOException"/> or <see cref="UnauthorizedAccessException"/>
    /// names what could not be set. First it removes what VM processes that outlived an earlier run of the node left.
    /// </summary>
    public VmCgroup Create(string vm, string attempt, VmCgroupLimits limits)
    {
        string leaf = Leaf(vm, attempt);
        var cgroup = Of(leaf);
        lock (_gate)
        {
            RemoveStale();
            _ours.Add(leaf);
        }
        try
        {
            foreach (var (dir, _) in cgroup.Directories) Directory.CreateDirectory(dir);
            foreach (var setting in limits.Settings(_host.Version))
            {
                var (dir, _) = cgroup.Directories.FirstOrDefault(d => d.Controllers.Contains(setting.Controller));
                if (dir is null) throw new IOException($"this host mounts no {setting.Controller} cgroup controller for {setting.File}");
                Write(Path.Combine(dir, setting.File), setting.Value);
            }
            return cgroup;
        }
        catch
        {
            Remove(cgroup);
            throw;
        }
    }

    /// <summary>
    /// The cgroup that holds the running process of VM <paramref name="vm"/>'s incarnation
    /// <paramref name="incarnation"/>, whichever attempt it is, made by this run of the node or by
    /// an earlier one (a process the node re-adopted); null when none holds a process.
    /// </summary>
    public VmCgroup? Find(string vm, long incarnation)
    {
        string first = Leaf(vm, incarnation.ToString(CultureInfo.InvariantCulture));
        string dir = NodeDirectories.First();
        if (!Directory.Exists(dir)) return null;
        return Directory.EnumerateDirectories(dir, first + "*")
            .Select(Path.GetFileName)
            .Where(leaf => leaf == first || (leaf!.StartsWith(first + "-", StringComparison.Ordinal) && leaf[(first.Length + 1)..].All(char.IsAsciiDigit)))
            .Select(leaf => Of(leaf!))
            .FirstOrDefault(c => File.ReadAllText(Path.Combine(c.Directories[0].Directory, "cgroup.procs")).Trim().Length > 0);
    }

    private VmCgroup Of(string leaf) =>
        new(leaf, _host.Version, _parents.Select(p => (p.Hierarchy.Directory(Join(p.NodePath, leaf)), p.Hierarchy.Controllers)).ToList());

    /// <summary>Removes a cgroup whose process has ended (or never started); false when the kernel kept some of it (a later Create retries).</summary>
    public bool Remove(VmCgroup cgroup)
    {
        bool removed = cgroup.RemoveDirectories(RemoveAttempts);
        lock (_gate) _ours.Remove(cgroup.Name);
        return removed;
    }

    /// <summary>
    /// Removes the cgroups of VM processes an earlier run of the node left, once they have ended
    /// (re-adopted ones included: this run did not make them, so nothing else removes them).
    /// </summary>
    public void RemoveEnded()
    {
        lock (_gate) RemoveStale();
    }

    private void FindInherited()
    {
        foreach (string dir in NodeDirectories.Where(Directory.Exists))
            foreach (string path in Directory.EnumerateDirectories(dir, "vm-*"))
                _inherited.Add(Path.GetFileName(path));
    }

    /// <summary>
    /// Removes the VM cgroups an earlier run of the node left that no process is in any more: the
    /// kernel refuses a cgroup that holds one (a VM process of that run, re-adopted or still ending
    /// its guest), which stays for a later call. Only those found at start: a cgroup that appeared
    /// since is this run's, or another live node's (tests run several nodes of one name on a
    /// machine), made a moment before its process joins it.
    /// </summary>
    private void RemoveStale()
    {
        foreach (string leaf in _inherited.Where(l => !_ours.Contains(l)).ToArray())
        {
            bool gone = true;
            foreach (string dir in NodeDirectories) gone &= VmCgroup.RemoveDirectory(Path.Combine(dir, leaf), attempts: 1);
            if (gone) _inherited.Remove(leaf);
        }
    }

    private void Prepare(Action<string> say)
    {
        foreach (var (hierarchy, nodePath) in _parents)
        {
            Directory.CreateDirectory(hierarchy.Directory(nodePath));
            if (_host.Version == CgroupVersion.V2) Delegate(hierarchy, nodePath, say);
        }
    }

    /// <summary>Enables memory and cpu (what is available of them) in every cgroup from the top one we may write down to the node's.</summary>
    private static void Delegate(CgroupHierarchy hierarchy, string nodePath, Action<string> say)
    {
        bool underNode = nodePath.StartsWith(Join(hierarchy.NodeCgroup, "tern") + "/", StringComparison.Ordinal);
        string top = underNode ? hierarchy.NodeCgroup : "/";
        if (underNode && top != "/" && File.ReadAllText(Path.Combine(hierarchy.Directory(top), "cgroup.procs")).Trim().Length > 0)
        {
            string leaf = Join(nodePath, "node");
            Directory.CreateDirectory(hierarchy.Directory(leaf));
            Write(Path.Combine(hierarchy.Directory(leaf), "cgroup.procs"), Environment.ProcessId.ToString(CultureInfo.InvariantCulture));
            say($"moved into cgroup {leaf}, so that {top} may hand the memory and cpu controllers on to VM processes");
        }
        foreach (string path in PathsDown(top, nodePath))
        {
            string dir = hierarchy.Directory(path);
            var available = Words(Path.Combine(dir, "cgroup.controllers"));
            if (!available.Contains("memory")) throw new IOException($"the memory controller is not available in {dir}");
            var enabled = Words(Path.Combine(dir, "cgroup.subtree_control"));
            var missing = new[] { "memory", "cpu" }.Where(c => available.Contains(c) && !enabled.Contains(c)).ToList();
            if (missing.Count > 0) Write(Path.Combine(dir, "cgroup.subtree_control"), string.Join(' ', missing.Select(c => "+" + c)));
        }
    }

    /// <summary>"/a" then each cgroup below it down to <paramref name="bottom"/>, "/a/b/c" (bottom's children get the controllers).</summary>
    private static IEnumerable<string> PathsDown(string top, string bottom)
    {
        yield return top;
        string path = top;
        foreach (string part in bottom[(top == "/" ? 0 : top.Length)..].Split('/', StringSplitOptions.RemoveEmptyEntries))
        {
            path = Join(path, part);
            yield return path;
        }
    }

    private static string[] Words(string file) =>
        File.Exists(file) ? File.ReadAllText(file).Split([' ', '\n'], StringSplitOptions.RemoveEmptyEntries) : [];

    private static string Join(string path, string child) => path.TrimEnd('/') + "/" + child;

    /// <summary>A control file takes one write(2) of the whole value; a failure names the file.</summary>
    private static void Write(string file, string value)
    {
        try
        {
            File.WriteAllText(file, value);
        }
        catch (IOException e)
        {
            throw new IOException($"cannot write '{value}' to {file}: {e.Message}", e);
        }
    }
}

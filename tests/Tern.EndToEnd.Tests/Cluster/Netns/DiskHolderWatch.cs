namespace Tern.EndToEnd.Tests.Cluster.Netns;

/// <summary>
/// The host-side lock check for "no disk ever has two writers": a background thread reads every
/// node's open files every 20 ms — its own and its VM processes' (/proc/PID/fd; see
/// <see cref="Support.VmProcesses"/>) — and records, per disk image, which nodes hold it open. A VM's devices live in
/// its `tern vm` process (or, with vm-processes off, in the node's), so a guest that can write a
/// disk is one whose node or VM process holds it open. Records the first sample at which two
/// nodes held one image.
/// </summary>
public sealed class DiskHolderWatch : IDisposable
{
    private readonly NetnsCluster _cluster;
    private readonly string[] _disks;
    private readonly Thread _thread;
    private readonly Lock _gate = new();
    private readonly Dictionary<(string Disk, string Node), (DateTime First, DateTime Last)> _held = [];
    private readonly Dictionary<(string Disk, string Node), List<DateTime>> _opened = [];
    private HashSet<(string Disk, string Node, string Fd)> _previous = [];
    private volatile bool _stop;

    public DiskHolderWatch(NetnsCluster cluster, IEnumerable<string> disks)
    {
        _cluster = cluster;
        _disks = disks.Select(Path.GetFullPath).ToArray();
        _thread = new Thread(Run) { IsBackground = true, Name = "disk-holder-watch" };
        _thread.Start();
    }

    /// <summary>"disk held by a and b at T", or null if no sample ever saw two holders.</summary>
    public string? Overlap { get; private set; }

    /// <summary>When <paramref name="node"/> was first and last seen holding <paramref name="disk"/>, or null if never.</summary>
    public (DateTime First, DateTime Last)? Held(string disk, string node)
    {
        lock (_gate) return _held.TryGetValue((Path.GetFullPath(disk), node), out var span) ? span : null;
    }

    /// <summary>
    /// The first sample at or after <paramref name="since"/> that saw <paramref name="node"/>
    /// holding <paramref name="disk"/> through a descriptor the sample before had not seen: a fresh
    /// open (also by a new instance in a process whose old instance still held it), or null.
    /// </summary>
    public DateTime? OpenedSince(string disk, string node, DateTime since)
    {
        lock (_gate)
            return _opened.TryGetValue((Path.GetFullPath(disk), node), out var opens) && opens.Any(t => t >= since) ? opens.First(t => t >= since) : null;
    }

    private void Run()
    {
        while (!_stop)
        {
            var now = DateTime.UtcNow;
            var holders = _disks.ToDictionary(d => d, _ => new List<string>());
            var current = new HashSet<(string, string, string)>();
            foreach (var node in _cluster.Nodes)
                foreach (var (fd, file) in OpenFiles(node))
                    if (holders.TryGetValue(file, out var list))
                    {
                        if (!list.Contains(node.Name)) list.Add(node.Name);
                        current.Add((file, node.Name, fd));
                    }
            lock (_gate)
            {
                foreach (var (disk, nodes) in holders)
                {
                    foreach (var n in nodes)
                    {
                        _held[(disk, n)] = _held.TryGetValue((disk, n), out var span) ? (span.First, now) : (now, now);
                        bool fresh = current.Any(c => c.Item1 == disk && c.Item2 == n && !_previous.Contains(c));
                        if (fresh) (_opened.TryGetValue((disk, n), out var opens) ? opens : _opened[(disk, n)] = []).Add(now);
                    }
                    if (nodes.Count > 1)
                        Overlap ??= $"{disk} held by {string.Join(" and ", nodes)} at {now:HH:mm:ss.fff}: "
                            + string.Join("; ", current.Where(c => c.Item1 == disk).Select(c => $"{c.Item2} {c.Item3} ({Describe(c.Item3)})"));
                }
                _previous = current;
            }
            Thread.Sleep(20);
        }
    }

    /// <summary>The command line of the process of "PID/fd", clipped: which process of a node held a disk.</summary>
    private static string Describe(string pidFd)
    {
        try
        {
            string cmdline = File.ReadAllText($"/proc/{pidFd[..pidFd.IndexOf('/')]}/cmdline").Replace('\0', ' ').Trim();
            return cmdline.Length > 100 ? cmdline[..100] + "..." : cmdline;
        }
        catch (IOException)
        {
            return "ended";
        }
    }

    /// <summary>The open descriptors of the node process and its VM processes as ("PID/fd", target path).</summary>
    private static IEnumerable<(string Fd, string Target)> OpenFiles(NamespacedNode node)
    {
        var files = new List<(string, string)>();
        try
        {
            if (!node.Process.HasExited) AddOpenFiles(node.Process.Id, files);
        }
        catch (InvalidOperationException) { } // the process went
        foreach (var (pid, _) in Support.VmProcesses.Of(node.DataDirectory)) AddOpenFiles(pid, files);
        return files;
    }

    private static void AddOpenFiles(int pid, List<(string, string)> files)
    {
        try
        {
            foreach (var fd in Directory.EnumerateFileSystemEntries($"/proc/{pid}/fd"))
            {
                try
                {
                    if (new FileInfo(fd).LinkTarget is { } target) files.Add(($"{pid}/{Path.GetFileName(fd)}", target));
                }
                catch (IOException) { } // closed while we looked
            }
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException) { } // the process went
    }

    public void Dispose()
    {
        _stop = true;
        _thread.Join();
    }
}

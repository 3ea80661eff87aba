using System.Globalization;
using Tern.Actors.Vm.Process;

namespace Tern.Host.VmProcess.Sandbox;

/// <summary>
/// The cgroup of one VM process: a directory in each hierarchy (one on v2), made by
/// <see cref="VmCgroups.Create"/> with its limits set, which the process joins right after it
/// starts and which <see cref="VmCgroups.Remove"/> removes once it has ended.
/// </summary>
public sealed class VmCgroup(string name, CgroupVersion version, IReadOnlyList<(string Directory, IReadOnlyList<string> Controllers)> directories)
{
    /// <summary>Its directories' name (<see cref="VmCgroups.Leaf"/>).</summary>
    public string Name { get; } = name;

    public CgroupVersion Version { get; } = version;

    public IReadOnlyList<(string Directory, IReadOnlyList<string> Controllers)> Directories { get; } = directories;

    /// <summary>Moves process <paramref name="pid"/>, every thread of it, into this cgroup.</summary>
    public void Add(int pid)
    {
        foreach (var (dir, _) in Directories) File.WriteAllText(Path.Combine(dir, "cgroup.procs"), pid.ToString(CultureInfo.InvariantCulture));
    }

    /// <summary>
    /// What the process uses now: memory charged to the cgroup (its RSS, page cache and kernel
    /// memory, guest RAM included), and its CPU time since it joined; 0 for a figure whose
    /// controller this host does not mount. For the host's load accounting.
    /// </summary>
    public VmProcessUsage Usage() => Version == CgroupVersion.V2
        ? new VmProcessUsage(Number("memory", "memory.current"), CpuStatUsec() * 1000)
        : new VmProcessUsage(Number("memory", "memory.usage_in_bytes"), Number("cpuacct", "cpuacct.usage"));

    /// <summary>
    /// Removes the cgroup's directories, which the kernel allows once no process is left in them;
    /// a process that has just been reaped may linger a moment, hence <paramref name="attempts"/>
    /// 20 ms apart. False when some directory stayed.
    /// </summary>
    internal bool RemoveDirectories(int attempts)
    {
        bool all = true;
        foreach (var (dir, _) in Directories) all &= RemoveDirectory(dir, attempts);
        return all;
    }

    internal static bool RemoveDirectory(string dir, int attempts)
    {
        for (int attempt = 1; ; attempt++)
        {
            try
            {
                Directory.Delete(dir); // rmdir(2): a cgroup's control files are not in the way
                return true;
            }
            catch (DirectoryNotFoundException)
            {
                return true;
            }
            catch (IOException) when (attempt < attempts)
            {
                Thread.Sleep(20);
            }
            catch (Exception e) when (e is IOException or UnauthorizedAccessException)
            {
                return false;
            }
        }
    }

    private string? FileOf(string controller, string file) =>
        Directories.FirstOrDefault(d => d.Controllers.Contains(controller)) is { Directory: { } dir } ? Path.Combine(dir, file) : null;

    private ulong Number(string controller, string file) =>
        FileOf(controller, file) is { } path && ulong.TryParse(File.ReadAllText(path).Trim(), NumberStyles.None, CultureInfo.InvariantCulture, out ulong v) ? v : 0;

    /// <summary>cpu.stat's usage_usec line (v2 counts CPU time in every cgroup, whether or not cpu is enabled).</summary>
    private ulong CpuStatUsec()
    {
        if (FileOf("memory", "cpu.stat") is not { } path) return 0;
        foreach (string line in File.ReadLines(path))
            if (line.StartsWith("usage_usec ", StringComparison.Ordinal)
                && ulong.TryParse(line.AsSpan(11), NumberStyles.None, CultureInfo.InvariantCulture, out ulong usec))
                return usec;
        return 0;
    }
}

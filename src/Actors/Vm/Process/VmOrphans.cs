using System.Globalization;

namespace Tern.Actors.Vm.Process;

/// <summary>A `tern vm` process a node left running when it went away, found again by the node that restarted.</summary>
public sealed record VmOrphan(long Incarnation, VmProcessFiles Files, int Pid);

/// <summary>
/// Finds the VM processes a node left behind: one directory per instance under the node's vms/
/// (see <see cref="VmProcessFiles"/>), whose pid file names a process that is still the
/// `tern vm` serving that directory's channel socket. A directory whose process is gone, or
/// whose pid now belongs to another program, is stale: it is removed, never adopted.
/// </summary>
public static class VmOrphans
{
    public static IReadOnlyList<VmOrphan> Find(string vmsDirectory, Action<string, string> removedStale)
    {
        if (!Directory.Exists(vmsDirectory)) return [];
        var found = new List<VmOrphan>();
        foreach (string directory in Directory.EnumerateDirectories(vmsDirectory))
        {
            if (Incarnation(Path.GetFileName(directory)) is not { } incarnation) continue; // not one of ours
            var files = new VmProcessFiles(directory);
            string? why = ReadPid(files, out int pid) ?? Check(files, pid);
            if (why is null)
            {
                found.Add(new VmOrphan(incarnation, files, pid));
                continue;
            }
            Remove(files);
            removedStale(directory, why);
        }
        return found;
    }

    /// <summary>Whether the orphan's process still runs and is still the one serving its channel.</summary>
    public static bool IsAlive(VmOrphan orphan) => Check(orphan.Files, orphan.Pid) is null;

    /// <summary>The id of the `tern vm` process that serves <paramref name="files"/>' channel now, if one does.</summary>
    public static int? RunningPid(VmProcessFiles files) => ReadPid(files, out int pid) is null && Check(files, pid) is null ? pid : null;

    public static void Remove(VmProcessFiles files)
    {
        try
        {
            Directory.Delete(files.Directory, recursive: true);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            // Gone already; a directory that cannot be removed is found again, and skipped again, next time.
        }
    }

    /// <summary>"17" or "17-2" (incarnation 17, second boot attempt).</summary>
    private static long? Incarnation(string name)
    {
        int dash = name.IndexOf('-');
        string number = dash < 0 ? name : name[..dash];
        if (dash >= 0 && !int.TryParse(name.AsSpan(dash + 1), NumberStyles.None, CultureInfo.InvariantCulture, out _)) return null;
        return long.TryParse(number, NumberStyles.None, CultureInfo.InvariantCulture, out long incarnation) ? incarnation : null;
    }

    private static string? ReadPid(VmProcessFiles files, out int pid)
    {
        pid = 0;
        try
        {
            return int.TryParse(File.ReadAllText(files.PidFile).Trim(), NumberStyles.None, CultureInfo.InvariantCulture, out pid) && pid > 0
                ? null
                : "its pid file does not hold a process id";
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            return "it has no readable pid file";
        }
    }

    /// <summary>Null when <paramref name="pid"/> is a `tern vm` process whose --channel is this directory's socket; otherwise why not.</summary>
    private static string? Check(VmProcessFiles files, int pid)
    {
        string[] args;
        try
        {
            args = File.ReadAllText($"/proc/{pid}/cmdline").Split('\0');
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            return $"its process {pid} is gone";
        }
        return ServesChannel(args, files) ? null : $"process {pid} is not the VM process of {files.ChannelSocket}";
    }

    /// <summary>Whether a process's arguments are those of `tern vm NAME --channel SOCKET ...` for this directory's socket.</summary>
    public static bool ServesChannel(IReadOnlyList<string> args, VmProcessFiles files)
    {
        int channel = args.ToList().IndexOf("--channel");
        return args.Count > 2 && args[1] == "vm" && channel > 2 && channel + 1 < args.Count
            && Path.GetFullPath(args[channel + 1]) == Path.GetFullPath(files.ChannelSocket);
    }
}

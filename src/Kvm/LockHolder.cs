using System.Globalization;

namespace Tern.Kvm;

/// <summary>
/// A process holding a lock on a file, found through /proc: OFD locks report no owner (F_OFD_GETLK
/// gives pid -1), but each lock is listed on a `lock:` line of its holder's /proc/PID/fdinfo/FD,
/// as "N: OFDLCK ADVISORY READ -1 MAJ:MIN:INODE START END".
/// </summary>
public sealed record LockHolder(int Pid, string Command)
{
    public override string ToString() => $"{Command} (pid {Pid})";

    /// <summary>
    /// Every process with an open file that locks the byte at <paramref name="offset"/> of the file
    /// open as <paramref name="fd"/> here, that open file excepted. The file is recognised by the
    /// device and inode on this file's own lock lines, so the caller must hold a lock on it.
    /// Processes whose /proc entries cannot be read are not found.
    /// </summary>
    internal static IReadOnlyList<LockHolder> Find(int fd, long offset)
    {
        int self = Environment.ProcessId;
        if (FileKey(Read($"/proc/self/fdinfo/{fd}")) is not { } key) return [];
        var found = new List<LockHolder>();
        foreach (var dir in Enumerate(() => Directory.EnumerateDirectories("/proc")))
        {
            if (!int.TryParse(System.IO.Path.GetFileName(dir), NumberStyles.None, CultureInfo.InvariantCulture, out int pid)) continue;
            foreach (var info in Enumerate(() => Directory.EnumerateFiles($"{dir}/fdinfo")))
            {
                if (pid == self && System.IO.Path.GetFileName(info) == fd.ToString(CultureInfo.InvariantCulture)) continue;
                if (!Covers(Read(info), key, offset)) continue;
                found.Add(new LockHolder(pid, Read($"{dir}/comm")?.Trim() ?? "?"));
                break;
            }
        }
        return found;
    }

    /// <summary>"MAJ:MIN:INODE" from the first lock line of an fdinfo text.</summary>
    internal static string? FileKey(string? fdinfo)
    {
        foreach (var fields in LockLines(fdinfo))
            return fields[^3];
        return null;
    }

    /// <summary>Whether a lock line of the fdinfo text is on <paramref name="key"/>'s file and covers the byte.</summary>
    internal static bool Covers(string? fdinfo, string key, long offset)
    {
        if (fdinfo is null || !fdinfo.Contains(key, StringComparison.Ordinal)) return false;
        foreach (var fields in LockLines(fdinfo))
        {
            if (fields[^3] != key) continue;
            long start = long.Parse(fields[^2], CultureInfo.InvariantCulture);
            long end = fields[^1] == "EOF" ? long.MaxValue : long.Parse(fields[^1], CultureInfo.InvariantCulture);
            if (start <= offset && offset <= end) return true;
        }
        return false;
    }

    /// <summary>The fields of each held lock's line (a "->" line is a waiter, not a holder).</summary>
    private static IEnumerable<string[]> LockLines(string? fdinfo)
    {
        if (fdinfo is null) yield break;
        foreach (var line in fdinfo.Split('\n'))
        {
            if (!line.StartsWith("lock:", StringComparison.Ordinal) || line.Contains("->", StringComparison.Ordinal)) continue;
            var fields = line.Split([' ', '\t'], StringSplitOptions.RemoveEmptyEntries);
            if (fields.Length >= 5) yield return fields;
        }
    }

    /// <summary>A /proc file's text, or null when it is gone or not ours to read.</summary>
    private static string? Read(string path)
    {
        try
        {
            return File.ReadAllText(path);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            return null;
        }
    }

    /// <summary>A /proc listing, empty when the process has gone or hides it.</summary>
    private static IEnumerable<string> Enumerate(Func<IEnumerable<string>> list)
    {
        try
        {
            return list().ToArray();
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            return [];
        }
    }
}

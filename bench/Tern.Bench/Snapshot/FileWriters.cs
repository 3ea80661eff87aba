using System.Diagnostics;

namespace Tern.Bench.Snapshot;

/// <summary>
/// Waits until no process holds a file open. QEMU's `exec:cat > FILE` completes when QEMU has
/// written the last byte into the pipe; cat may still be copying the rest into the file (and if
/// QEMU's shell exited first, cat is no longer its child), so only then are the file's size final
/// and QEMU safe to kill, which would kill cat with it.
/// </summary>
public static class FileWriters
{
    /// <summary>True once no process has <paramref name="path"/> open; false if one still has it after <paramref name="timeout"/>.</summary>
    public static bool WaitUntilClosed(string path, TimeSpan timeout)
    {
        string full = Path.GetFullPath(path);
        var watch = Stopwatch.StartNew();
        while (Holders(full).Any())
        {
            if (watch.Elapsed > timeout) return false;
            Thread.Sleep(20);
        }
        return true;
    }

    private static IEnumerable<int> Holders(string path)
    {
        foreach (var dir in Directory.EnumerateDirectories("/proc"))
        {
            if (!int.TryParse(Path.GetFileName(dir), out int pid)) continue;
            IEnumerable<string> fds;
            try
            {
                fds = Directory.EnumerateFiles(Path.Combine(dir, "fd")).ToList();
            }
            catch (Exception e) when (e is IOException or UnauthorizedAccessException)
            {
                continue; // gone, or not ours to read
            }
            foreach (var fd in fds)
            {
                string? target;
                try { target = File.ResolveLinkTarget(fd, returnFinalTarget: false)?.FullName; }
                catch (Exception e) when (e is IOException or UnauthorizedAccessException) { continue; }
                if (target == path) { yield return pid; break; }
            }
        }
    }
}

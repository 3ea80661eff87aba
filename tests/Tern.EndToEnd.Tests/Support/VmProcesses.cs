namespace Tern.EndToEnd.Tests.Support;

/// <summary>
/// The `tern vm` processes a node started, found from /proc: their channel socket lies in the
/// node's data directory (DATA/vms/...). Found so rather than as the node's children, because a
/// VM process outlives a killed node (reparented) for as long as it takes to end its guest.
/// </summary>
public static class VmProcesses
{
    /// <summary>(pid, the VM's name) of every VM process of the node whose data directory is <paramref name="dataDirectory"/>.</summary>
    public static IReadOnlyList<(int Pid, string Vm)> Of(string dataDirectory)
    {
        string channels = Path.Combine(Path.GetFullPath(dataDirectory), "vms") + "/";
        var found = new List<(int, string)>();
        foreach (var dir in Directory.EnumerateDirectories("/proc"))
        {
            if (!int.TryParse(Path.GetFileName(dir), out int pid)) continue;
            string[] args;
            try { args = File.ReadAllText(Path.Combine(dir, "cmdline")).Split('\0'); }
            catch (Exception e) when (e is IOException or UnauthorizedAccessException) { continue; } // it ended meanwhile
            if (args.Length < 2 || args[1] != "vm") continue;
            if (ValueOf(args, "--channel") is not { } channel || !channel.StartsWith(channels, StringComparison.Ordinal)) continue;
            found.Add((pid, args[2])); // tern vm NAME ...
        }
        return found;
    }

    private static string? ValueOf(string[] args, string option)
    {
        int at = Array.IndexOf(args, option);
        return at > 0 && at + 1 < args.Length ? args[at + 1] : null;
    }
}

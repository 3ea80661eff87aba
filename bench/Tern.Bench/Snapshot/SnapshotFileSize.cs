using System.Diagnostics;

namespace Tern.Bench.Snapshot;

/// <summary>
/// A snapshot file's size two ways: apparent (its length) and allocated (the blocks the file system
/// gave it, as stat reports them). A sparse file's holes, zero guest pages left unwritten, cost no blocks.
/// </summary>
public readonly record struct SnapshotFileSize(long ApparentBytes, long AllocatedBytes)
{
    public static SnapshotFileSize Of(string path)
    {
        // stat(1) rather than stat(2): .NET does not expose st_blocks, and the struct's layout is not worth copying here.
        var start = new ProcessStartInfo("stat", ["--format=%s %b %B", path]) { RedirectStandardOutput = true, RedirectStandardError = true };
        using var p = Process.Start(start) ?? throw new InvalidOperationException("stat did not start");
        string output = p.StandardOutput.ReadToEnd().Trim();
        string errors = p.StandardError.ReadToEnd().Trim();
        p.WaitForExit();
        var fields = output.Split(' ');
        if (p.ExitCode != 0 || fields.Length != 3) throw new IOException($"stat {path}: {errors}{output}");
        return new SnapshotFileSize(long.Parse(fields[0]), long.Parse(fields[1]) * long.Parse(fields[2]));
    }
}

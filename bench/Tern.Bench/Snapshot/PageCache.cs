using System.Runtime.InteropServices;

namespace Tern.Bench.Snapshot;

/// <summary>
/// The host's page cache, emptied for a cold restore: every restore but that one reads a file that
/// was just written and is still cached, which is the usual case for a snapshot restored soon after
/// it was taken, but not for one restored after the host rebooted or the file was copied in.
/// </summary>
public static partial class PageCache
{
    private const string DropCaches = "/proc/sys/vm/drop_caches";

    /// <summary>Only root may write drop_caches.</summary>
    public static bool CanDrop => GetEUid() == 0 && File.Exists(DropCaches);

    /// <summary>`sync; echo 3 > /proc/sys/vm/drop_caches`: written-back pages, then every clean page, dentry and inode go.</summary>
    public static void Drop()
    {
        Sync();
        File.WriteAllText(DropCaches, "3");
    }

    [LibraryImport("libc", EntryPoint = "sync")]
    private static partial void Sync();

    [LibraryImport("libc", EntryPoint = "geteuid")]
    private static partial uint GetEUid();
}

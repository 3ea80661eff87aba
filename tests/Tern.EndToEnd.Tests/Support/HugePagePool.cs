using System.Diagnostics;

namespace Tern.EndToEnd.Tests.Support;

/// <summary>
/// A hugetlbfs mount of the test's own, with at least the free 2 MiB pages it asks for: the
/// kernel's pool is raised for the test and set back afterwards (root only).
/// </summary>
public sealed class HugePagePool : IDisposable
{
    private const string PoolSize = "/sys/kernel/mm/hugepages/hugepages-2048kB/nr_hugepages";
    private const string PoolFree = "/sys/kernel/mm/hugepages/hugepages-2048kB/free_hugepages";
    private readonly TempDir _dir = new();
    private readonly long _sizeBefore;

    public HugePagePool(int freePagesNeeded)
    {
        _sizeBefore = Read(PoolSize);
        long missing = freePagesNeeded - FreePages;
        if (missing > 0) File.WriteAllText(PoolSize, (_sizeBefore + missing).ToString());
        if (FreePages < freePagesNeeded)
            throw new InvalidOperationException($"the kernel gave the hugetlbfs pool only {FreePages} free 2 MiB pages of the {freePagesNeeded} asked for");
        Run("mount", "-t", "hugetlbfs", "-o", "pagesize=2M", "none", _dir.Path);
    }

    /// <summary>Why this machine cannot have a pool for a test, or null when it can.</summary>
    public static string? WhyUnavailable =>
        Environment.UserName != "root" ? "mounting hugetlbfs and sizing its pool needs root"
        : !File.Exists(PoolSize) ? "the kernel has no 2 MiB hugetlbfs pool"
        : null;

    public string MountPoint => _dir.Path;

    public long FreePages => Read(PoolFree);

    /// <summary>The 2 MiB hugetlbfs pages a process has mapped, private and shared (smaps_rollup).</summary>
    public static long PagesHeldBy(int pid) =>
        File.ReadLines($"/proc/{pid}/smaps_rollup")
            .Where(l => l.StartsWith("Private_Hugetlb:", StringComparison.Ordinal) || l.StartsWith("Shared_Hugetlb:", StringComparison.Ordinal))
            .Sum(l => long.Parse(l.Split(' ', StringSplitOptions.RemoveEmptyEntries)[1])) / 2048;

    private static long Read(string path) => long.Parse(File.ReadAllText(path).Trim());

    private static void Run(string file, params string[] args)
    {
        using var process = Process.Start(new ProcessStartInfo(file, args) { RedirectStandardError = true })!;
        string error = process.StandardError.ReadToEnd();
        process.WaitForExit();
        if (process.ExitCode != 0) throw new InvalidOperationException($"{file} {string.Join(' ', args)}: {error}");
    }

    public void Dispose()
    {
        try
        {
            Run("umount", _dir.Path);
        }
        finally
        {
            File.WriteAllText(PoolSize, _sizeBefore.ToString());
            _dir.Dispose();
        }
    }
}

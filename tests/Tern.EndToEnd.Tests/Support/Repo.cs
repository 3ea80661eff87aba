namespace Tern.EndToEnd.Tests.Support;

/// <summary>Paths inside the repository the tests run from.</summary>
public static class Repo
{
    public static string Root { get; } = FindRoot();

    public static string TestKernel => Path.Combine(Root, "tests/guest/build/testkernel.elf");
    public static string TestKernelNoPvh => Path.Combine(Root, "tests/guest/build/testkernel-nopvh.elf");

    /// <summary>The `tern` executable built next to this test assembly (the same build the launcher makes).</summary>
    public static string TernExecutable => Path.Combine(AppContext.BaseDirectory, "tern");

    private static string FindRoot()
    {
        for (var dir = new DirectoryInfo(AppContext.BaseDirectory); dir is not null; dir = dir.Parent)
            if (File.Exists(Path.Combine(dir.FullName, "Cluster.sln"))) return dir.FullName;
        throw new InvalidOperationException("Cluster.sln not found above the test directory");
    }
}

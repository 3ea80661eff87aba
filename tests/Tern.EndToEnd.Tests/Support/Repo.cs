namespace Tern.EndToEnd.Tests.Support;

/// <summary>Paths inside the repository the tests run from.</summary>
public static class Repo
{
    public static string Root { get; } = FindRoot();

    public static string TestKernel => Path.Combine(Root, "tests/guest/build/testkernel.elf");
    public static string TestKernelNoPvh => Path.Combine(Root, "tests/guest/build/testkernel-nopvh.elf");

    /// <summary>The `tern` executable built next to this test assembly (the same build the launcher makes).</summary>
    public static string TernExecutable => Path.Combine(AppContext.BaseDirectory, "tern");

    private static string FindRoot() =>
        typeof(Repo).Assembly.GetCustomAttributes(typeof(System.Reflection.AssemblyMetadataAttribute), false)
            .Cast<System.Reflection.AssemblyMetadataAttribute>().Single(a => a.Key == "RepoRoot").Value!;
}

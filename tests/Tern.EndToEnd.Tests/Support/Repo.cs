namespace Tern.EndToEnd.Tests.Support;

/// <summary>Paths inside the repository the tests run from.</summary>
public static class Repo
{
    public static string Root { get; } = FindRoot();

    public static string GuestBuild => Path.Combine(Root, "tests/guest/build");
    public static string TestKernel => Path.Combine(GuestBuild, "testkernel.elf");
    public static string TestKernelNoPvh => Path.Combine(Root, "tests/guest/build/testkernel-nopvh.elf");

    /// <summary>
    /// The shipped `tern`: the native executable the launcher (./tern) publishes, which runs
    /// standalone VMs and `ctl` itself and hands `node` to the ReadyToRun build beside it. test.sh runs the launcher first, so it
    /// is built from the sources under test.
    /// </summary>
    public static string TernExecutable =>
        File.Exists(ShippedTern) ? ShippedTern : throw new InvalidOperationException($"{ShippedTern} is missing: run ./tern -version (test.sh does) to build it");

    private static string ShippedTern => Path.Combine(Root, "out/tern/tern");

    private static string FindRoot() =>
        typeof(Repo).Assembly.GetCustomAttributes(typeof(System.Reflection.AssemblyMetadataAttribute), false)
            .Cast<System.Reflection.AssemblyMetadataAttribute>().Single(a => a.Key == "RepoRoot").Value!;
}

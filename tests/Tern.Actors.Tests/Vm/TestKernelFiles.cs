using System.Runtime.CompilerServices;

namespace Tern.Actors.Tests.Vm;

/// <summary>
/// Where the project's test kernel is. Found from this source file's own path (the compiler
/// records it), so the tests find the repository wherever the build output goes.
/// </summary>
public static class TestKernelFiles
{
    public static string RepoRoot { get; } = FindRoot();

    /// <summary>tests/guest/build/testkernel.elf (<c>make -C tests/guest</c>).</summary>
    public static string TestKernel => Path.Combine(RepoRoot, "tests/guest/build/testkernel.elf");

    private static string FindRoot([CallerFilePath] string thisFile = "") =>
        Path.GetFullPath(Path.Combine(Path.GetDirectoryName(thisFile)!, "../../.."));
}

/// <summary>An actor test that boots the test kernel on KVM: skipped, with the reason shown, where it cannot.</summary>
public sealed class TestKernelFactAttribute : FactAttribute
{
    public TestKernelFactAttribute()
    {
        if (KvmFactAttribute.SkipReason is { } noKvm) Skip = noKvm;
        else if (!File.Exists(TestKernelFiles.TestKernel)) Skip = $"{TestKernelFiles.TestKernel} is missing: run make -C tests/guest";
    }
}

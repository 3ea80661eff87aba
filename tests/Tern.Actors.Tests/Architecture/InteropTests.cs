using System.Text.RegularExpressions;
using Tern.Actors.Tests.Support;

namespace Tern.Actors.Tests.Architecture;

/// <summary>Calls into native code are declared only in src/Kvm, where each has a typed wrapper; the other projects use those.</summary>
public sealed class InteropTests
{
    [Fact]
    public void Only_src_kvm_declares_native_calls()
    {
        string src = Path.Combine(TestGuest.RepoRoot, "src");
        var outside = Directory.EnumerateFiles(src, "*.cs", SearchOption.AllDirectories)
            .Select(f => Path.GetRelativePath(src, f).Replace('\\', '/'))
            .Where(f => !f.StartsWith("Kvm/", StringComparison.Ordinal) && !f.Split('/').Any(part => part is "bin" or "obj"))
            .Where(f => Regex.IsMatch(File.ReadAllText(Path.Combine(src, f)), @"\[(LibraryImport|DllImport)\b"))
            .ToList();
        Assert.True(outside.Count == 0, $"native calls declared outside src/Kvm: {string.Join(", ", outside)}");
    }
}

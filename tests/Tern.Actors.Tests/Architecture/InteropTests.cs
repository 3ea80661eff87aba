using System.Text.RegularExpressions;

namespace Tern.Actors.Tests.Architecture;

/// <summary>Calls into native code are declared only in src/Kvm, where each has a typed wrapper; the other projects use those.</summary>
public sealed class InteropTests
{
    [Fact]
    public void Only_src_kvm_declares_native_calls()
    {
        var outside = SourceTree.Files()
            .Where(f => !f.StartsWith("Kvm/", StringComparison.Ordinal) && Regex.IsMatch(SourceTree.Read(f), @"\[(LibraryImport|DllImport)\b"))
            .ToList();
        Assert.True(outside.Count == 0, $"native calls declared outside src/Kvm: {string.Join(", ", outside)}");
    }
}

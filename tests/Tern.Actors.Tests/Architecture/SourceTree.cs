using Tern.Actors.Tests.Support;

namespace Tern.Actors.Tests.Architecture;

/// <summary>The C# sources under src/ that the architecture tests read (build output left out).</summary>
public static class SourceTree
{
    public static readonly string Root = Path.Combine(TestGuest.RepoRoot, "src");

    /// <summary>Every .cs file's path from src/, with '/' separators.</summary>
    public static IReadOnlyList<string> Files() =>
        Directory.EnumerateFiles(Root, "*.cs", SearchOption.AllDirectories)
            .Select(f => Path.GetRelativePath(Root, f).Replace('\\', '/'))
            .Where(f => !f.Split('/').Any(part => part is "bin" or "obj"))
            .ToList();

    public static string Read(string file) => File.ReadAllText(Path.Combine(Root, file));
}

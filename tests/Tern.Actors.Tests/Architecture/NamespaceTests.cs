using System.Text.RegularExpressions;

namespace Tern.Actors.Tests.Architecture;

/// <summary>Under src/, in every project, a file's namespace is its folder's path from src/ (Actors/Cluster/Host: Tern.Actors.Cluster.Host).</summary>
public sealed class NamespaceTests
{
    [Fact]
    public void Every_source_file_declares_the_namespace_of_its_folder()
    {
        var files = SourceTree.Files();
        Assert.NotEmpty(files);
        var wrong = (from file in files
                     let expected = "Tern." + Path.GetDirectoryName(file)!.Replace('/', '.')
                     let declared = Regex.Match(SourceTree.Read(file), @"^namespace ([\w.]+);", RegexOptions.Multiline).Groups[1].Value
                     // Host/Program.cs holds the top-level statements, which have no namespace.
                     where declared != expected && !(file == "Host/Program.cs" && declared == "")
                     select $"{file} declares '{declared}', not {expected}").ToList();
        Assert.True(wrong.Count == 0, string.Join("; ", wrong));
    }
}

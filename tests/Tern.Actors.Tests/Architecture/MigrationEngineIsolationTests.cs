using System.Reflection;
using System.Text.RegularExpressions;
using System.Xml.Linq;
using Tern.Actors.Migration.Engine.Source;
using Tern.Actors.Tests.Support;

namespace Tern.Actors.Tests.Architecture;

/// <summary>
/// The migration engine stays a library that the actors drive: it references neither Akka nor
/// Tern.Actors, and its two sides meet only in what both depend on (the stream format in Wire/,
/// the transports, the engine's own top-level types), never in each other's code.
/// </summary>
public sealed class MigrationEngineIsolationTests
{
    private const string EngineNamespace = "Tern.Actors.Migration.Engine";
    private static readonly Assembly Engine = typeof(PrecopySender).Assembly;
    private static readonly string EngineFolder = Path.Combine(TestGuest.RepoRoot, "src/Actors/Migration/Engine");

    [Fact]
    public void The_engine_assembly_references_neither_Akka_nor_Tern_Actors()
    {
        var forbidden = Engine.GetReferencedAssemblies().Select(a => a.Name!).Where(IsForbidden).ToList();
        Assert.True(forbidden.Count == 0, $"{Engine.GetName().Name} references {string.Join(", ", forbidden)}");
    }

    /// <summary>A package referenced but not yet used leaves no trace in the assembly: the project file is read too.</summary>
    [Fact]
    public void The_engine_project_names_neither_Akka_nor_Tern_Actors()
    {
        var project = XDocument.Load(Path.Combine(EngineFolder, $"{EngineNamespace}.csproj"));
        var forbidden = project.Descendants().Where(e => e.Name.LocalName is "PackageReference" or "ProjectReference")
            .Select(e => Path.GetFileNameWithoutExtension((string?)e.Attribute("Include") ?? ""))
            .Where(IsForbidden).ToList();
        Assert.True(forbidden.Count == 0, $"the engine's project references {string.Join(", ", forbidden)}");
    }

    [Fact]
    public void No_engine_source_file_mentions_Akka()
    {
        var offenders = Sources("").Where(f => Regex.IsMatch(File.ReadAllText(f), @"\bAkka\b")).Select(Relative).ToList();
        Assert.True(offenders.Count == 0, $"Akka named in {string.Join(", ", offenders)}");
    }

    [Theory]
    [InlineData("Source", "Destination")]
    [InlineData("Destination", "Source")]
    public void One_side_of_the_engine_never_names_the_other_sides_types(string side, string other)
    {
        var otherTypes = Engine.GetTypes()
            .Where(t => t.Namespace == $"{EngineNamespace}.{other}" && !t.IsNested && !t.Name.Contains('<'))
            .Select(t => t.Name.Split('`')[0]).ToList();
        Assert.NotEmpty(otherTypes);
        var found = (from file in Sources(side)
                     let text = File.ReadAllText(file)
                     from name in otherTypes
                     // Unqualified or namespace-qualified; `x.DataChannels`, a member of the same name, is not the type.
                     where Regex.IsMatch(text, $@"(?<![\w.]){name}\b|\b{other}\.{name}\b")
                     select $"{Relative(file)} names {other}/{name}")
            .Concat(from file in Sources(side)
                    where File.ReadAllText(file).Contains($"{EngineNamespace}.{other}", StringComparison.Ordinal)
                    select $"{Relative(file)} uses namespace {EngineNamespace}.{other}")
            .ToList();
        Assert.True(found.Count == 0, string.Join("; ", found));
    }

    private static bool IsForbidden(string name) => name.StartsWith("Akka", StringComparison.Ordinal) || name == "Tern.Actors";

    /// <summary>The .cs files under the engine's <paramref name="folder"/> (build output aside); never none, so no check passes vacuously.</summary>
    private static List<string> Sources(string folder)
    {
        var files = Directory.EnumerateFiles(Path.Combine(EngineFolder, folder), "*.cs", SearchOption.AllDirectories)
            .Where(f => !Relative(f).Split('/').Any(part => part is "bin" or "obj")).ToList();
        Assert.NotEmpty(files);
        return files;
    }

    private static string Relative(string path) => Path.GetRelativePath(EngineFolder, path).Replace('\\', '/');
}
